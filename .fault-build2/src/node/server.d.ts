import type { NodeConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { RaftKvNode } from "./node.js";
export interface RunningNode {
    readonly node: RaftKvNode;
    readonly config: NodeConfig;
    readonly clientPort: number;
    readonly peerPort: number;
    readonly metricsPort: number | null;
    /** Graceful: transfer leadership, finish calls in flight, close everything. */
    close(): Promise<void>;
}
export declare function startNode(config: NodeConfig, deps: {
    logger: Logger;
    version: string;
    random?: () => number;
}): Promise<RunningNode>;
