// Opening the KV state machine of a data dir, with a clear error when its store is damaged.

import { join } from "node:path";
import { KvStateMachine } from "../kv/index.js";
import {
  type DataDir,
  listSnapshotFiles,
  readSnapshotFile,
  StorageError,
  unreadableTables,
} from "../storage/index.js";
import { compactFreedRanges } from "./disk.js";
import type { Logger } from "./logger.js";

/**
 * Opens the KV state machine (it reads every live key and record), its value cache bounded by
 * `options.valueCacheBytes` (absent: the state machine's default). A damaged store is
 * RAFTKV_CORRUPT_STORE naming the table file when it can be found: LevelDB's own corruption
 * errors ("Corruption: corrupted compressed block contents") name none.
 */
export async function openKvStateMachine(
  dataDir: DataDir,
  recovery?: { readonly logFloor: number; readonly log: Logger },
  options: { readonly valueCacheBytes?: number } = {},
): Promise<KvStateMachine> {
  let kv: KvStateMachine;
  try {
    kv = await KvStateMachine.open(dataDir.kv, {
      valueCacheBytes: options.valueCacheBytes,
      onCompacted: (revision) => {
        if (recovery !== undefined) compactFreedRanges(dataDir, recovery.log, revision);
      },
    });
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
  if (kv.incompleteImport && recovery !== undefined) await finishImport(kv, dataDir, recovery);
  return kv;
}

/**
 * A kill during a snapshot install leaves the KV store half imported (found by the fault
 * harness: the member could not restart). The snapshot being installed is still in the snap
 * dir — staged files are synced before the import starts and removed only after a newer install
 * is recorded in the Raft log — so import it again: the newest file that reaches the Raft log's
 * floor (its snapshot index), since the log cannot replay anything below that. A store ahead of
 * its log is harmless: apply skips entries at or below the store's applied index.
 */
async function finishImport(
  kv: KvStateMachine,
  dataDir: DataDir,
  recovery: { readonly logFloor: number; readonly log: Logger },
): Promise<void> {
  const tried: string[] = [];
  for (const file of await listSnapshotFiles(dataDir.snapDir)) {
    if (file.index < recovery.logFloor) break;
    recovery.log.warn(
      { snapshot: file.path },
      "a snapshot install was interrupted; importing the snapshot again",
    );
    try {
      await kv.importSnapshot(readSnapshotFile(file.path), recovery.logFloor);
      recovery.log.info(
        { snapshot: file.path, applied: kv.appliedIndex },
        "interrupted snapshot install finished",
      );
      return;
    } catch (err) {
      tried.push(`${file.path}: ${(err as Error).message}`);
    }
  }
  await kv.close();
  throw new StorageError(
    "RAFTKV_CORRUPT_STORE",
    `the KV store in ${dataDir.dir} holds an interrupted snapshot import and no usable snapshot file ` +
      `at or above index ${recovery.logFloor} is left in ${dataDir.snapDir}` +
      (tried.length > 0 ? ` (tried ${tried.join("; ")})` : "") +
      "; remove this member's data dir and add it to the cluster again",
  );
}
