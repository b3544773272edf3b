// Opening the KV state machine of a data dir, with a clear error when its store is damaged.

import { join } from "node:path";
import { KvStateMachine } from "../kv/index.js";
import { type DataDir, StorageError, unreadableTables } from "../storage/index.js";

/**
 * Opens the KV state machine (it reads every live key and record). A damaged store is
 * RAFTKV_CORRUPT_STORE naming the table file when it can be found: LevelDB's own corruption
 * errors ("Corruption: corrupted compressed block contents") name none.
 */
export async function openKvStateMachine(dataDir: DataDir): Promise<KvStateMachine> {
  try {
    return await KvStateMachine.open(dataDir.kv);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    const e = err as Error & { code?: unknown; cause?: { code?: unknown } };
    const corrupt =
      e.code === "LEVEL_CORRUPTION" || e.cause?.code === "LEVEL_CORRUPTION" || /corrupt/i.test(e.message);
    if (!corrupt) throw err;
    const db = join(dataDir.dir, "db");
    const files = await unreadableTables(dataDir.db, db);
    const where = files.length === 0 ? "" : ` (in table file ${files.join(" or ")})`;
    throw new StorageError(
      "RAFTKV_CORRUPT_STORE",
      `corrupt store ${db}: load the KV state: ${e.message}${where}`,
      { cause: err },
    );
  }
}
