import { Option } from "commander";
import { type NodeConfig } from "../node/config.js";
export declare function serverOptions(): Option[];
export declare function configFromOptions(o: Record<string, unknown>): NodeConfig;
export declare function runServer(o: Record<string, unknown>, version: string): Promise<void>;
