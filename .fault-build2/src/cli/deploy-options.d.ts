import { Option } from "commander";
import { type InitialClusterState } from "../node/config.js";
export declare function deployOptions(): Option[];
/** What the deployment flags decide; undefined fields keep the plain flags' values. */
export interface DeployConfig {
    readonly peers?: Map<string, string>;
    readonly advertisePeer?: string;
    readonly advertiseClient?: string;
    readonly initialClusterState: InitialClusterState;
    readonly joinEndpoints: readonly string[];
    readonly mayBootstrap: boolean;
}
export declare function deployConfig(o: Record<string, unknown>, name: string, listenClient: string, listenPeer: string): DeployConfig;
