import { KvStateMachine } from "../kv/index.js";
import { type DataDir } from "../storage/index.js";
/**
 * Opens the KV state machine (it reads every live key and record). A damaged store is
 * RAFTKV_CORRUPT_STORE naming the table file when it can be found: LevelDB's own corruption
 * errors ("Corruption: corrupted compressed block contents") name none.
 */
export declare function openKvStateMachine(dataDir: DataDir): Promise<KvStateMachine>;
