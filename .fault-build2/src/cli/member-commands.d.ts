import type { Command } from "commander";
import type { EtcdClient } from "../client/index.js";
/** The ID of the member called `nameOrId` (its name, or its ID in hex as `raftkv members` shows). */
export declare function resolveMember(client: EtcdClient, nameOrId: string): Promise<number>;
export declare function addMemberCommands(program: Command): void;
