import type { MemoryStorage } from "./storage.js";
import type { ConfChange, Entry, NodeId } from "./types.js";
export declare function encodeConfChange(cc: ConfChange): Uint8Array;
export declare function decodeConfChange(data: Uint8Array): ConfChange;
/**
 * Write the initial configuration of a new cluster into an empty storage: one addVoter entry
 * per voter at term 1, committed. Every member bootstraps identically, so the entries agree;
 * a member added later receives them through the log like any other entry.
 */
export declare function bootstrap(storage: MemoryStorage, voters: readonly NodeId[], contexts?: ReadonlyMap<NodeId, Uint8Array>): Entry[];
