// Physical compaction of the MVCC history, in the background, in bounded batches.
//
// A Compact(C) entry is applied at once and only logically (KvStateMachine: reads and watches
// below C fail from then on). This removes what no read at C or later can see: for each key,
// every version older than C except the newest of them — and that one too when it is a
// tombstone or the key has a version at C itself. Everything at C or later is kept, so reads at
// C and watch replay from C stay complete.
//
// It scans the "h" keyspace (each key's versions in revision order) one batch of entries at a
// time with a fresh iterator, deletes the "h" entries and the "r" records they point to in one
// LevelDB batch, and yields to the event loop between batches: the apply loop is never stalled
// for longer than one batch. Applying runs concurrently and only ever adds versions newer than
// the compacted revision, which this never deletes. When the last batch is written it records
// the revision as physically done ("compactdone"); a restart resumes an unfinished compaction.

import {
  HISTORY_RANGE,
  META_COMPACT_DONE,
  REVISION_BYTES,
  revisionKeyOf,
  splitHistoryKey,
  u64Bytes,
} from "./layout.js";

export interface CompactorDatabase {
  iterator(options: {
    gt?: Buffer;
    gte?: Buffer;
    lt?: Buffer;
    limit?: number;
    keyEncoding?: "buffer";
    valueEncoding?: "buffer";
  }): { nextv(size: number): Promise<[Buffer, Buffer][]>; close(): Promise<void> };
  batch(operations: CompactorOp[]): Promise<void>;
}

type CompactorOp = { type: "del"; key: Buffer } | { type: "put"; key: Buffer; value: Buffer };

export interface CompactorOptions {
  /** Revision already physically compacted (the stored "compactdone"). */
  done: number;
  /** "h" entries examined per batch. Default 1000. */
  batchEntries?: number;
  /** Called when a batch fails (the store is closing, or a disk error); the job stops. */
  onError?: (err: Error) => void;
  /** Called when a pass up to `revision` has finished (history below it is deleted). */
  onDone?: (revision: number) => void;
}

interface Waiter {
  revision: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The newest version older than the compaction revision seen so far in the current key's group. */
interface Pending {
  entry: Buffer;
  tombstone: boolean;
}

export class Compactor {
  readonly #db: CompactorDatabase;
  readonly #batchEntries: number;
  readonly #onError: (err: Error) => void;
  readonly #onDone: (revision: number) => void;
  #done: number;
  #target: number;
  #running: Promise<void> | null = null;
  #paused = false;
  #waiters: Waiter[] = [];

  constructor(db: CompactorDatabase, options: CompactorOptions) {
    this.#db = db;
    this.#done = options.done;
    this.#target = options.done;
    this.#batchEntries = options.batchEntries ?? 1000;
    this.#onError = options.onError ?? (() => undefined);
    this.#onDone = options.onDone ?? (() => undefined);
  }

  /** Revision up to which history is physically gone. */
  get done(): number {
    return this.#done;
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Compacts up to `revision` in the background (a later call with a higher revision supersedes). */
  schedule(revision: number): void {
    if (revision > this.#target) this.#target = revision;
    this.#start();
  }

  /** Resolves once history below `revision` is physically gone; rejects if the job fails. */
  whenDone(revision: number): Promise<void> {
    if (revision <= this.#done) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ revision, resolve, reject });
      this.#start();
    });
  }

  /** Stops after the batch in flight (for a snapshot import or close); resume() restarts. */
  async pause(): Promise<void> {
    this.#paused = true;
    await this.#running;
  }

  /** After pause(): continues from the given state (a snapshot import may have replaced it). */
  resume(done: number, target: number): void {
    this.#paused = false;
    this.#done = done;
    this.#target = Math.max(done, target);
    this.#settle();
    this.#start();
  }

  #start(): void {
    if (this.#running !== null || this.#paused || this.#target <= this.#done) return;
    this.#running = this.#run().finally(() => {
      this.#running = null;
      // A later schedule() may have raised the target while the last pass ran.
      if (!this.#paused && this.#target > this.#done) this.#start();
    });
  }

  async #run(): Promise<void> {
    try {
      while (!this.#paused && this.#target > this.#done) {
        const revision = this.#target;
        if (!(await this.#pass(revision))) return;
        this.#done = revision;
        this.#settle();
        this.#onDone(revision);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.reject(error);
      // Retried by the next schedule(), or after a restart.
      this.#target = this.#done;
      this.#onError(error);
    }
  }

  #settle(): void {
    const ready = this.#waiters.filter((w) => w.revision <= this.#done);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.revision > this.#done);
    for (const w of ready) w.resolve();
  }

  /** One full pass over "h" for `revision`; false when paused before the end. */
  async #pass(revision: number): Promise<boolean> {
    let after: Buffer | undefined;
    let group: Buffer | undefined;
    let pending: Pending | undefined;
    for (;;) {
      const iterator = this.#db.iterator({
        ...(after === undefined ? { gte: HISTORY_RANGE.gte } : { gt: after }),
        lt: HISTORY_RANGE.lt,
        limit: this.#batchEntries,
        keyEncoding: "buffer",
        valueEncoding: "buffer",
      });
      let entries: [Buffer, Buffer][];
      try {
        entries = await iterator.nextv(this.#batchEntries);
      } finally {
        await iterator.close();
      }
      const ops: CompactorOp[] = [];
      const drop = (p: Pending): void => {
        ops.push(
          { type: "del", key: p.entry },
          { type: "del", key: revisionKeyOf(p.entry.subarray(p.entry.length - REVISION_BYTES)) },
        );
      };
      // The newest version below `revision` of a key survives unless it is a tombstone.
      const settle = (): void => {
        if (pending?.tombstone) drop(pending);
        pending = undefined;
      };
      for (const [entry, flag] of entries) {
        const { prefix, main } = splitHistoryKey(entry);
        if (group === undefined || !prefix.equals(group)) {
          settle();
          group = Buffer.from(prefix);
        }
        if (main >= revision) {
          // Kept, for reads and watch replay from `revision` on. A version AT the revision
          // supersedes the older one for every read at or after it.
          if (main === revision && pending !== undefined) drop(pending);
          else settle();
          pending = undefined;
          continue;
        }
        if (pending !== undefined) drop(pending);
        pending = { entry: Buffer.from(entry), tombstone: flag[0] === 1 };
      }
      const last = entries[entries.length - 1];
      // nextv() may return fewer than asked before the end: only an empty batch is the end.
      const finished = last === undefined;
      if (finished) {
        settle();
        ops.push({ type: "put", key: META_COMPACT_DONE, value: u64Bytes(revision) });
      }
      if (ops.length > 0) await this.#db.batch(ops);
      if (finished) return true;
      after = Buffer.from(last[0]);
      // Let the apply loop and client calls run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#paused) return false;
    }
  }
}
