import { type Command } from "commander";
import { EtcdClient, type TxnInput } from "../client/index.js";
export interface Common {
    endpoints: string;
    json?: boolean;
    timeoutMs: string;
}
export declare function commonOptions(cmd: Command): Command;
export declare function withClient<T>(o: Common, fn: (c: EtcdClient) => Promise<T>): Promise<void>;
export declare function addClientCommands(program: Command): void;
/** Parses etcdctl's interactive txn format. */
export declare function parseTxn(text: string): TxnInput;
