// Reading a data dir's identity before the node opens it for good: the CLI needs the member's
// name, cluster ID and peers to build its configuration from the data dir alone (a restart).
//
// The peek opens LevelDB, which may recover its write-ahead log. openDataDir() checks LevelDB's
// LOG for records dropped by that recovery, and the next open rotates the LOG: so the peek makes
// the same check and refuses the same way, or the evidence would be gone.

import { join } from "node:path";
import { Level } from "level";
import { decodeIdentity, KEY_IDENTITY, type StoredIdentity } from "./codec.js";
import { dataDirState, dbPath, type KvSublevel, kvSublevel } from "./data-dir.js";
import { StorageError, wrapLevelReadError } from "./errors.js";
import { recoveryDrops } from "./level-diagnostics.js";
import type { RawLevel } from "./level-log-store.js";

export interface DataDirPeek<T> {
  readonly identity: StoredIdentity;
  /** What `read` returned; null when it threw (openDataDir() reports a damaged store later). */
  readonly value: T | null;
}

/**
 * The identity of the data dir at `dir` and what `read` finds in its KV keyspace; null when there
 * is no data dir, or one whose identity openDataDir() will refuse (it then says why). A LevelDB
 * that does not open (in use, corrupt) throws the StorageError openDataDir() would.
 */
export async function peekDataDir<T>(
  dir: string,
  read: (kv: KvSublevel) => Promise<T>,
): Promise<DataDirPeek<T> | null> {
  if ((await dataDirState(dir)) !== "present") return null;
  const where = dbPath(dir);
  const db: RawLevel = new Level<Buffer, Buffer>(where, {
    keyEncoding: "buffer",
    valueEncoding: "buffer",
    createIfMissing: false,
  });
  try {
    await db.open();
  } catch (err) {
    // In use by a running member, unreadable: the same error the open would give.
    throw wrapLevelReadError(err, where, "open LevelDB");
  }
  try {
    const drops = await recoveryDrops(where);
    if (drops.length > 0) {
      throw new StorageError(
        "RAFTKV_CORRUPT_STORE",
        `corrupt store ${where}: LevelDB dropped write-ahead-log records while recovering, which may ` +
          `have been acknowledged writes (see ${join(where, "LOG")}): ${drops.join("; ")}`,
      );
    }
    let identity: StoredIdentity;
    try {
      const raw = await db.get(KEY_IDENTITY);
      if (raw === undefined) return null;
      identity = decodeIdentity(raw);
    } catch {
      return null;
    }
    let value: T | null = null;
    try {
      value = await read(kvSublevel(db));
    } catch {
      value = null;
    }
    return { identity, value };
  } finally {
    await db.close().catch(() => {});
  }
}
