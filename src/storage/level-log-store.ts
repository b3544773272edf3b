// LevelLogStore: the Raft log, hard state and snapshot metadata in LevelDB (keys: see codec.ts).
//
// - save() writes one batch (the node merges the Readies that waited into one: group commit, one
//   fsync), with sync: true unless the update says it needs none.
// - Mutations run one at a time, in call order (a promise chain), so each plan is computed on the
//   state left by the previous one. No per-entry await: a batch is built synchronously.
// - After a failed write the store is failed: every later mutation rejects with the same
//   RAFTKV_STORAGE_IO error. (LevelDB itself refuses writes after a failed log write; the node
//   must stop and restart from what is durable.)
// - Entries behind a compaction are deleted after it resolves, by LevelDB's range delete in its
//   thread pool, outside the chain of mutations (#purge): load() ignores them meanwhile.
// - load() checks every checksum and the shape of the log; anything wrong is RAFTKV_CORRUPT_STORE
//   naming the data dir, the record or index, and the LevelDB file where it can be told.

import type { Level } from "level";
import { EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotMeta } from "../raft/types.js";
import {
  DecodeError,
  decodeEntry,
  decodeHardState,
  decodeLogStart,
  decodeSnapshotMeta,
  ENTRY_KEY_END,
  ENTRY_KEY_MIN,
  encodeEntry,
  encodeHardState,
  encodeLogStart,
  encodeSnapshotMeta,
  entryKey,
  entryKeyIndex,
  isEntryKey,
  KEY_HARD_STATE,
  KEY_LOG_START,
  KEY_SNAPSHOT_META,
  type LogStart,
} from "./codec.js";
import { StorageError, wrapLevelError, wrapLevelReadError } from "./errors.js";
import { locateKey } from "./level-diagnostics.js";
import {
  type LoadedLog,
  LogShape,
  type LogStore,
  type LogUpdate,
  loadedLogProblem,
  type SavePlan,
} from "./log-store.js";

export type RawLevel = Level<Buffer, Buffer>;

export interface TailState {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly hardState: HardState;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
}

type BatchOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

/** Entries read per iterator step by load(). */
const LOAD_STEP_ENTRIES = 1024;
const LOAD_STEP_BYTES = 4 * 1024 * 1024;

export class LevelLogStore implements LogStore {
  readonly #db: RawLevel;
  /** The LevelDB directory, named in every error. */
  readonly #where: string;
  #shape: LogShape;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: StorageError | null = null;
  #closed = false;
  /** The load done at open, handed to the first load() call if nothing was written since. */
  #initial: LoadedLog | null;
  /** Entries below this index are deleted (0: not known yet, the first purge starts at the first key). */
  #purgedBelow = 0;
  /** The highest index a purge was asked to delete up to. */
  #purgeTarget = 0;
  /** The purge running in LevelDB's thread pool, if any. */
  #purging: Promise<void> | null = null;

  private constructor(db: RawLevel, where: string, loaded: LoadedLog) {
    this.#db = db;
    this.#where = where;
    this.#shape = LogShape.fromLoaded(loaded);
    this.#initial = loaded;
  }

  /** Open on an already open LevelDB: reads and validates the whole log (throws if corrupt). */
  static async open(db: RawLevel, where: string): Promise<LevelLogStore> {
    const loaded = await readLog(db, where);
    const store = new LevelLogStore(db, where, loaded);
    // Entries at or below the log start left by an interrupted purge are garbage: drop them.
    store.#purge(loaded.firstIndex - 1);
    return store;
  }

  save(update: LogUpdate): Promise<void> {
    this.#initial = null;
    return this.#exclusive(async () => {
      const plan = this.#shape.planSave(update);
      await this.#write(saveOps(plan), update.sync !== false, "save");
      this.#shape.applySave(plan);
      if (plan.logStart !== null) this.#purge(plan.logStart.index);
    });
  }

  recordSnapshot(meta: SnapshotMeta): Promise<void> {
    this.#initial = null;
    return this.#exclusive(async () => {
      this.#shape.checkRecordSnapshot(meta);
      await this.#write(
        [{ type: "put", key: KEY_SNAPSHOT_META, value: encodeSnapshotMeta(meta) }],
        true,
        "record snapshot",
      );
      this.#shape.snapshotMeta = meta;
    });
  }

  async compact(index: number): Promise<void> {
    this.#initial = null;
    const logStart = await this.#exclusive(async () => {
      const start = this.#shape.planCompact(index);
      if (start === null) return null;
      await this.#write(
        [{ type: "put", key: KEY_LOG_START, value: encodeLogStart(start) }],
        false,
        "compact",
      );
      this.#shape.applyCompact(start);
      return start;
    });
    if (logStart !== null) this.#purge(logStart.index);
  }

  async load(): Promise<LoadedLog> {
    const initial = this.#initial;
    this.#initial = null;
    if (initial !== null) return initial;
    return this.#exclusive(() => readLog(this.#db, this.#where));
  }

  firstIndex(): number {
    return this.#shape.firstIndex;
  }

  lastIndex(): number {
    return this.#shape.lastIndex;
  }

  /** Snapshot metadata and hard state as stored (for the node's status and the KV snapshot). */
  snapshotMeta(): SnapshotMeta | null {
    return this.#shape.snapshotMeta;
  }

  hardState(): HardState {
    return this.#shape.hardState;
  }

  /** The durable tail of the log: what a later open must find again (the shutdown marker). */
  tailState(): TailState {
    const shape = this.#shape;
    return {
      firstIndex: shape.firstIndex,
      lastIndex: shape.lastIndex,
      lastTerm: shape.term(shape.lastIndex) ?? 0,
      hardState: shape.hardState,
      snapshotIndex: shape.snapshotIndex,
      snapshotTerm: shape.snapshotMeta?.term ?? 0,
    };
  }

  /** A synced write queued after every earlier mutation: when it resolves, all earlier writes
   *  (including unsynced compactions) are durable. */
  syncBarrier(): Promise<void> {
    return this.#exclusive(() =>
      this.#write(
        [{ type: "put", key: KEY_LOG_START, value: encodeLogStart(this.#shape.logStart) }],
        true,
        "sync",
      ),
    );
  }

  /** Waits for queued mutations; does not close the LevelDB (the DataDir owns it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.purged();
  }

  /** Run `fn` after every earlier mutation, whatever their outcome. Calls made before close() run. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new StorageError("RAFTKV_STORE_CLOSED", `log store ${this.#where} is closed`));
    }
    const run = this.#tail.then(() => {
      if (this.#failure !== null) {
        throw new StorageError(
          this.#failure.code,
          `log store ${this.#where} failed earlier and refuses writes: ${this.#failure.message}`,
          { cause: this.#failure },
        );
      }
      return fn();
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  async #write(ops: BatchOp[], sync: boolean, doing: string): Promise<void> {
    if (ops.length === 0) return;
    try {
      await this.#db.batch(ops, { sync });
    } catch (err) {
      const failure = wrapLevelError(err, this.#where, doing);
      this.#failure = failure;
      throw failure;
    }
  }

  /**
   * Delete stored entries with index <= upTo, behind the caller: LevelDB's own range delete
   * (`clear`, unsynced batches in its thread pool), so neither the node's loop nor the log writes
   * queued here wait for it. Entries at or below the log start are garbage to load(), so a purge
   * cut short by a crash only leaves garbage that the next open purges. A target asked for while
   * one runs is taken up when it ends.
   */
  #purge(upTo: number): void {
    if (upTo < this.#purgedBelow || upTo < 1) return;
    this.#purgeTarget = Math.max(this.#purgeTarget, upTo);
    this.#purging ??= this.#purgeUntilDone().finally(() => {
      this.#purging = null;
    });
  }

  async #purgeUntilDone(): Promise<void> {
    while (this.#purgeTarget >= this.#purgedBelow && this.#failure === null && !this.#closed) {
      const upTo = this.#purgeTarget;
      // From the first key not yet known deleted: iterating over the tombstones of earlier purges
      // costs LevelDB more each time until it compacts them away.
      const gte = this.#purgedBelow === 0 ? ENTRY_KEY_MIN : entryKey(this.#purgedBelow);
      try {
        await this.#db.clear({ gte, lte: entryKey(upTo) });
      } catch (err) {
        this.#failure ??= wrapLevelError(err, this.#where, "compact");
        return;
      }
      this.#purgedBelow = upTo + 1;
    }
  }

  /** Resolves once no purge runs (close() waits for it; tests look at what it left). */
  async purged(): Promise<void> {
    while (this.#purging !== null) await this.#purging;
  }
}

/** The batch of one save: snapshot meta and log start, deletions, entries, hard state. */
function saveOps(plan: SavePlan): BatchOp[] {
  const ops: BatchOp[] = [];
  if (plan.snapshot !== null)
    ops.push({ type: "put", key: KEY_SNAPSHOT_META, value: encodeSnapshotMeta(plan.snapshot) });
  if (plan.logStart !== null)
    ops.push({ type: "put", key: KEY_LOG_START, value: encodeLogStart(plan.logStart) });
  // Entries at or below a new log start are purged after the write (load ignores them); entries
  // about to be overwritten need no delete.
  const lastPut = plan.entries.length > 0 ? plan.entries[plan.entries.length - 1]!.index : 0;
  const deleteFrom = Math.max(plan.deleteFrom, (plan.logStart?.index ?? 0) + 1, lastPut + 1);
  for (let i = deleteFrom; i <= plan.deleteTo; i++) ops.push({ type: "del", key: entryKey(i) });
  for (const e of plan.entries) {
    const [key, value] = encodeEntry(e);
    ops.push({ type: "put", key, value });
  }
  if (plan.hardState !== null)
    ops.push({ type: "put", key: KEY_HARD_STATE, value: encodeHardState(plan.hardState) });
  return ops;
}

/** A record that fails validation; readLog() turns it into a StorageError naming its file. */
class CorruptRecord extends Error {
  constructor(
    message: string,
    readonly key: Buffer | null,
    readonly value?: Buffer,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function decodeRecord<T>(key: Buffer, value: Buffer | undefined, decode: (v: Buffer) => T): T | null {
  if (value === undefined) return null;
  try {
    return decode(value);
  } catch (err) {
    if (err instanceof DecodeError) throw new CorruptRecord(err.message, key, value, { cause: err });
    throw err;
  }
}

/** Read and validate the hard state, snapshot meta, log start and every entry after the log start. */
export async function readLog(db: RawLevel, where: string): Promise<LoadedLog> {
  try {
    let values: (Buffer | undefined)[];
    try {
      values = await db.getMany([KEY_HARD_STATE, KEY_SNAPSHOT_META, KEY_LOG_START]);
    } catch (err) {
      throw wrapLevelReadError(err, where, "read the hard state", await locateKey(db, where, KEY_HARD_STATE));
    }
    const [hsValue, smValue, lsValue] = values;
    const hardState = decodeRecord(KEY_HARD_STATE, hsValue, decodeHardState) ?? EMPTY_HARD_STATE;
    const snapshotMeta = decodeRecord(KEY_SNAPSHOT_META, smValue, decodeSnapshotMeta);
    const logStart = decodeRecord(KEY_LOG_START, lsValue, decodeLogStart) ?? { index: 0, term: 0 };
    const entries = await readEntries(db, where, logStart);
    const loaded: LoadedLog = {
      hardState,
      snapshotMeta,
      firstIndex: logStart.index + 1,
      compactedTerm: logStart.term,
      entries,
    };
    const problem = loadedLogProblem(loaded);
    if (problem !== null) throw new CorruptRecord(problem, null);
    return loaded;
  } catch (err) {
    if (err instanceof CorruptRecord) {
      const location = err.key === null ? `in ${where}` : await locateKey(db, where, err.key, err.value);
      throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt store ${where}: ${err.message} (${location})`, {
        cause: err.cause,
      });
    }
    throw wrapLevelReadError(err, where, "load");
  }
}

async function readEntries(db: RawLevel, where: string, logStart: LogStart): Promise<Entry[]> {
  const entries: Entry[] = [];
  let expected = logStart.index + 1;
  let prevTerm = logStart.term;
  const it = db.iterator({
    gt: entryKey(logStart.index),
    lt: ENTRY_KEY_END,
    highWaterMarkBytes: LOAD_STEP_BYTES,
  });
  try {
    for (;;) {
      const step = await it.nextv(LOAD_STEP_ENTRIES);
      if (step.length === 0) break;
      for (const [key, value] of step) {
        if (!isEntryKey(key))
          throw new CorruptRecord(`unexpected key ${key.toString("hex")} among the entries`, key);
        const index = entryKeyIndex(key);
        if (index !== expected) {
          throw new CorruptRecord(`entry ${expected} is missing (the next stored entry is ${index})`, key);
        }
        const e = decodeRecord(key, value, (v) => decodeEntry(key, v))!;
        if (e.term < prevTerm)
          throw new CorruptRecord(`entry ${index} has term ${e.term} after term ${prevTerm}`, key);
        entries.push(e);
        prevTerm = e.term;
        expected++;
      }
    }
  } catch (err) {
    if (err instanceof CorruptRecord || err instanceof StorageError) throw err;
    // LevelDB reports an unreadable block when the iterator reaches the end (it skips the block).
    const location = await locateKey(db, where, entryKey(expected));
    throw wrapLevelReadError(err, where, `read entries (${expected - 1} read)`, location);
  } finally {
    await it.close();
  }
  return entries;
}
