import type { KvStateMachine } from "../kv/mvcc.js";
import type { NodeConfig } from "./config.js";
import { LeaseManager } from "./leases.js";
import type { Logger } from "./logger.js";
import type { RaftKvNode } from "./node.js";
export interface KvServices {
    readonly leases: LeaseManager;
    stop(): Promise<void>;
}
export declare function startKvServices(node: RaftKvNode, kv: KvStateMachine, config: NodeConfig, log: Logger): KvServices;
