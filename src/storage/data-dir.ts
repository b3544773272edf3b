// A node's data dir:
//   <dataDir>/db     one LevelDB: the Raft keyspaces (codec.ts) and the KV state machine's sublevel
//   <dataDir>/snap   snapshot files staged for and by the transport (snapshot-file.ts)
//
// The first open writes the identity {format version, name, cluster ID, member ID} (synced);
// every later open checks it, so a data dir is never used by another member or cluster.

import { mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import {
  DecodeError,
  decodeIdentity,
  encodeIdentity,
  FORMAT_VERSION,
  KEY_IDENTITY,
  type StoredIdentity,
} from "./codec.js";
import { SpaceGate, type SpaceLogger, StoreSizer } from "./disk-space.js";
import { StorageError, wrapLevelError, wrapLevelReadError } from "./errors.js";
import { locateKey, recoveryDrops } from "./level-diagnostics.js";
import { LevelLogStore, type RawLevel } from "./level-log-store.js";
import {
  readShutdownMarker,
  removeShutdownMarker,
  shutdownMarkerPath,
  tailMismatch,
  writeShutdownMarker,
} from "./shutdown-marker.js";
import { removeSnapshotTemps } from "./snapshot-file.js";

export interface DataDirIdentity {
  readonly name: string;
  readonly clusterId: number;
  readonly memberId: number;
}

export interface OpenDataDirOptions extends DataDirIdentity {
  /** Create the data dir when missing. When false, a missing data dir is RAFTKV_DATA_DIR_NOT_FOUND. */
  readonly create: boolean;
  /** Recorded in the identity when this open creates the data dir (a restart checks it). */
  readonly clusterToken?: string;
  /** LevelDB tuning (classic-level open options); defaults suit a Raft node. */
  readonly level?: {
    readonly writeBufferSize?: number;
    readonly cacheSize?: number;
    readonly maxOpenFiles?: number;
  };
  /** Where a full disk is reported (SpaceGate; or DataDir.space.useLogger later). */
  readonly log?: SpaceLogger;
}

/**
 * LevelDB's max_open_files (classic-level's default: 1000). LevelDB maps every table file it keeps
 * open, and the pages a read or a compaction touches count in the member's RSS: with 5M keys
 * (2.5 GiB of tables, 2 MiB each) 855 MiB of RSS were mapped tables. 128 keeps some 118 tables
 * open, at most about 240 MiB mapped; a read from a table not open opens it first.
 */
export const MAX_OPEN_TABLES = 128;

/** The KV state machine's keyspace: a sublevel "kv" of the same LevelDB (prefix "!kv!"), Buffer keys
 *  and values. Write its data and applied index in its own batches, or atomically with other
 *  keyspaces through `db.batch([{ type: "put", sublevel: kv, key, value }, ...])`. */
export type KvSublevel = ReturnType<typeof kvSublevel>;

export interface DataDir {
  readonly dir: string;
  /** The root LevelDB (Buffer keys and values). Raft keys start with 0x01/0x02; leave them alone. */
  readonly db: RawLevel;
  readonly kv: KvSublevel;
  readonly raftLog: LevelLogStore;
  readonly identity: DataDirIdentity & { readonly formatVersion: number };
  /** True when this open created the data dir (wrote the identity). Bootstrap, though, when the Raft
   *  log is empty (no snapshot, last index 0): a crash may come between creation and bootstrap. */
  readonly created: boolean;
  readonly snapDir: string;
  /** Holds every write while the disk is full, and reopens the store once space is back. */
  readonly space: SpaceGate;
  /** The store's size on disk (Status, the backend quota, Defragment). */
  readonly size: StoreSizer;
  close(): Promise<void>;
}

export function kvSublevel(db: RawLevel) {
  return db.sublevel<Buffer, Buffer>("kv", { keyEncoding: "buffer", valueEncoding: "buffer" });
}

export function dbPath(dir: string): string {
  return join(dir, "db");
}

export type DataDirState = "absent" | "present" | "damaged";

/**
 * "present": `<dir>/db/CURRENT` exists. "absent": no data at all. "damaged": LevelDB tables or logs
 * (or a shutdown marker) but no CURRENT file — LevelDB would silently create an empty database over
 * it (and delete the tables as obsolete), so it is never opened with `create`.
 */
export async function dataDirState(dir: string): Promise<DataDirState> {
  const where = dbPath(dir);
  try {
    if ((await stat(join(where, "CURRENT"))).isFile()) return "present";
  } catch {
    // no CURRENT: look closer
  }
  let names: string[] = [];
  try {
    names = await readdir(where);
  } catch {
    // no db dir
  }
  const hasData = names.some((name) => /\.(ldb|sst|log)$/.test(name));
  return hasData || (await fileExists(shutdownMarkerPath(dir))) ? "damaged" : "absent";
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `dir` holds a node's data (possibly damaged): when false, the node bootstraps. */
export async function dataDirExists(dir: string): Promise<boolean> {
  return (await dataDirState(dir)) !== "absent";
}

export async function openDataDir(dir: string, opts: OpenDataDirOptions): Promise<DataDir> {
  checkIdentityArgs(opts);
  const where = dbPath(dir);
  const state = await dataDirState(dir);
  if (state === "absent" && !opts.create) {
    throw new StorageError(
      "RAFTKV_DATA_DIR_NOT_FOUND",
      `data dir ${dir} does not exist (no ${where}/CURRENT)`,
    );
  }
  if (state === "damaged") {
    throw new StorageError(
      "RAFTKV_CORRUPT_STORE",
      `corrupt store ${where}: LevelDB files or a shutdown marker but no CURRENT file (it was lost or deleted)`,
    );
  }
  const snapDir = join(dir, "snap");
  try {
    await mkdir(snapDir, { recursive: true });
    await removeSnapshotTemps(snapDir);
  } catch (err) {
    throw wrapLevelError(err, dir, "create the data dir");
  }
  const db: RawLevel = new Level<Buffer, Buffer>(where, {
    keyEncoding: "buffer",
    valueEncoding: "buffer",
    createIfMissing: opts.create,
    maxOpenFiles: MAX_OPEN_TABLES,
    ...opts.level,
  });
  try {
    await db.open();
  } catch (err) {
    throw wrapLevelReadError(err, where, "open LevelDB");
  }
  const space = new SpaceGate(db as unknown as ConstructorParameters<typeof SpaceGate>[0], {
    dbDir: where,
    log: opts.log,
  });
  try {
    const drops = await recoveryDrops(where);
    if (drops.length > 0) {
      throw new StorageError(
        "RAFTKV_CORRUPT_STORE",
        `corrupt store ${where}: LevelDB dropped write-ahead-log records while recovering, which may ` +
          `have been acknowledged writes (see ${join(where, "LOG")}): ${drops.join("; ")}`,
      );
    }
    const { identity, created } = await checkIdentity(db, dir, where, opts);
    const marker = await readShutdownMarker(dir);
    const raftLog = await LevelLogStore.open(db, where);
    if (marker !== null) {
      const mismatch = tailMismatch(marker, raftLog.tailState());
      if (mismatch !== null) {
        throw new StorageError(
          "RAFTKV_CORRUPT_STORE",
          `corrupt store ${where}: synced data is missing since the clean shutdown recorded in ` +
            `${shutdownMarkerPath(dir)} (a LevelDB file was truncated or replaced?): ${mismatch}`,
        );
      }
      // Before any write: a crash from here on must not be compared with this marker.
      await removeShutdownMarker(dir);
    }
    let closed = false;
    const kv = kvSublevel(db);
    // Closing the root for a reopen after a full disk closes its sublevel; it does not reopen it.
    space.aroundReopen(
      async () => undefined,
      () => kv.open(),
    );
    return {
      dir,
      db,
      kv,
      raftLog,
      identity,
      created,
      snapDir,
      space,
      size: new StoreSizer(where, db as unknown as ConstructorParameters<typeof StoreSizer>[1]),
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        space.close();
        let barrier = false;
        try {
          await raftLog.syncBarrier();
          barrier = true;
        } catch {
          // The store failed earlier (that failure was reported to the writer): no marker.
        }
        try {
          if (barrier) await writeShutdownMarker(dir, raftLog.tailState());
        } catch (err) {
          throw wrapLevelError(err, dir, "write the shutdown marker");
        } finally {
          await raftLog.close();
          await db.close();
        }
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw wrapLevelReadError(err, where, "open");
  }
}

function checkIdentityArgs(opts: OpenDataDirOptions): void {
  if (typeof opts.name !== "string" || opts.name.length === 0)
    throw new TypeError("name must be a non-empty string");
  for (const [field, value] of [
    ["clusterId", opts.clusterId],
    ["memberId", opts.memberId],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new TypeError(`${field} must be a non-negative safe integer`);
  }
}

async function checkIdentity(
  db: RawLevel,
  dir: string,
  where: string,
  opts: OpenDataDirOptions,
): Promise<{ identity: StoredIdentity; created: boolean }> {
  let value: Buffer | undefined;
  try {
    value = await db.get(KEY_IDENTITY);
  } catch (err) {
    throw wrapLevelReadError(err, where, "read the identity", await locateKey(db, where, KEY_IDENTITY));
  }
  if (value === undefined) {
    const [anyKey] = await db.keys({ limit: 1 }).all();
    if (anyKey !== undefined) {
      throw new StorageError(
        "RAFTKV_CORRUPT_STORE",
        `corrupt store ${where}: it holds data but no raftkv identity record (key ${anyKey.toString("hex")})`,
      );
    }
    if (!opts.create) {
      throw new StorageError(
        "RAFTKV_DATA_DIR_NOT_FOUND",
        `data dir ${dir} has an empty database (interrupted creation?)`,
      );
    }
    if (opts.clusterId === 0 || opts.memberId === 0) {
      throw new TypeError("a new data dir needs a non-zero cluster ID and member ID");
    }
    const identity: StoredIdentity = {
      formatVersion: FORMAT_VERSION,
      name: opts.name,
      clusterId: opts.clusterId,
      memberId: opts.memberId,
      ...(opts.clusterToken === undefined ? {} : { clusterToken: opts.clusterToken }),
    };
    await db.put(KEY_IDENTITY, encodeIdentity(identity), { sync: true });
    return { identity, created: true };
  }
  let stored: StoredIdentity;
  try {
    stored = decodeIdentity(value);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt store ${where}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const mismatch = (what: string, storedValue: string | number, requested: string | number): StorageError =>
    new StorageError(
      "RAFTKV_DATA_DIR_MISMATCH",
      `data dir ${dir} belongs to ${what} ${JSON.stringify(storedValue)}, not ${JSON.stringify(requested)}`,
    );
  if (stored.formatVersion !== FORMAT_VERSION) {
    throw mismatch("storage format version", stored.formatVersion, FORMAT_VERSION);
  }
  if (stored.name !== opts.name) throw mismatch("member name", stored.name, opts.name);
  // Cluster ID 0, like member ID 0, means "not known yet": a member that joined a running cluster
  // learned its cluster ID then, and reads it back from here on every restart.
  if (opts.clusterId !== 0 && stored.clusterId !== opts.clusterId) {
    throw mismatch("cluster ID", stored.clusterId, opts.clusterId);
  }
  // Member ID 0 means "not known yet" (a restart before the node has read it): take the stored one.
  if (opts.memberId !== 0 && stored.memberId !== opts.memberId) {
    throw mismatch("member ID", stored.memberId, opts.memberId);
  }
  return { identity: stored, created: false };
}
