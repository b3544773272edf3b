// A full disk, as the storage layer meets it: the size of the store, and the gate every LevelDB
// write goes through so that running out of space (ENOSPC) is a pause, not a crash.
//
// Why a gate, and why reopen: after LevelDB fails a write-ahead-log append for lack of space, its
// log writer is out of step with the file. A later write on the same handle can report success
// and still be unreadable at the next open (measured here: three synced puts acknowledged after
// space came back were gone after a reopen). So once one write fails with ENOSPC, the gate lets
// no write reach LevelDB until the database has been closed and opened again — that recovery
// replays only what the log holds intact, and starts a fresh log file. Writes that arrive
// meanwhile, the failed one and any that completed after the failure was seen (they may have
// landed behind the broken record), wait, and are written again, in order, once the store is
// reopened. Each write is a LevelDB batch of puts and deletes, so writing it again is harmless.
// The writers (the Raft log, the KV state machine, compaction) see nothing but a slow write: no
// half-persisted state is ever acknowledged.
//
// Recovery polls the free space of the file system (statfs) with backoff and reopens once there
// is room for LevelDB to turn its write-ahead log into a table; a failed reopen is retried the
// same way. Reads keep working until the close; while the store is closed (a moment, unless the
// reopen itself fails for lack of space) reads from disk fail and reads from memory still work.

import { readdir, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "./errors.js";

/** True for an error caused by a full disk or an exhausted quota (ENOSPC, EDQUOT). */
export function isNoSpaceError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === "ENOSPC" || code === "EDQUOT") return true;
    if (typeof message === "string" && /No space left on device|Disk quota exceeded/i.test(message))
      return true;
    e = cause;
  }
  return false;
}

export interface StoreSize {
  /** Bytes of every file in the LevelDB directory (tables, write-ahead logs, manifest). */
  readonly dbSize: number;
  /**
   * Bytes that hold keys: LevelDB's estimate of the sorted tables over the whole key range, plus
   * the live write-ahead log. dbSize less this is what is not in use (obsolete files, the log of a
   * flushed memtable).
   */
  readonly dbSizeInUse: number;
}

export interface SizedLevel {
  approximateSize(start: Buffer, end: Buffer): Promise<number>;
}

const KEYS_LOW = Buffer.of(0);
const KEYS_HIGH = Buffer.alloc(32, 0xff);

/** Measures a store; the last figures are kept for synchronous readers (Status, the quota). */
export class StoreSizer {
  readonly #dbDir: string;
  readonly #db: SizedLevel;
  #current: StoreSize = { dbSize: 0, dbSizeInUse: 0 };
  #measuring: Promise<StoreSize> | null = null;

  constructor(dbDir: string, db: SizedLevel) {
    this.#dbDir = dbDir;
    this.#db = db;
  }

  /** The last measurement (zeros before the first). */
  get current(): StoreSize {
    return this.#current;
  }

  /** Measures now (concurrent calls share one measurement). */
  measure(): Promise<StoreSize> {
    this.#measuring ??= this.#measure().finally(() => {
      this.#measuring = null;
    });
    return this.#measuring;
  }

  async #measure(): Promise<StoreSize> {
    const files = await listFiles(this.#dbDir);
    const dbSize = files.reduce((sum, f) => sum + f.size, 0);
    const log = files.filter((f) => f.name.endsWith(".log")).sort((a, b) => b.name.localeCompare(a.name))[0];
    let tables = 0;
    try {
      tables = await this.#db.approximateSize(KEYS_LOW, KEYS_HIGH);
    } catch {
      // The store is closed (shutting down, or reopening after a full disk): tables as last seen.
      tables = Math.max(0, this.#current.dbSizeInUse - (log?.size ?? 0));
    }
    this.#current = { dbSize, dbSizeInUse: Math.min(dbSize, tables + (log?.size ?? 0)) };
    return this.#current;
  }
}

async function listFiles(dir: string): Promise<{ name: string; size: number }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files: { name: string; size: number }[] = [];
  for (const name of names) {
    try {
      const s = await stat(join(dir, name));
      if (s.isFile()) files.push({ name, size: s.size });
    } catch {
      // deleted between readdir and stat (LevelDB removes obsolete files)
    }
  }
  return files;
}

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** The part of a LevelDB the gate wraps: abstract-level's private write methods, and open/close. */
export interface GatedLevel {
  _put(key: unknown, value: unknown, options: unknown): Promise<void>;
  _del(key: unknown, options: unknown): Promise<void>;
  _batch(operations: unknown, options: unknown): Promise<void>;
  _clear(options: unknown): Promise<void>;
  open(): Promise<void>;
  close(): Promise<void>;
  readonly status: string;
}

export interface SpaceLogger {
  warn(o: object, msg: string): void;
  info(o: object, msg: string): void;
}

export interface SpaceGateOptions {
  /** The LevelDB directory (its log size tells how much room a reopen needs). */
  readonly dbDir: string;
  /** Logs the state changes (or useLogger later). */
  readonly log?: SpaceLogger;
  /** Backoff between recovery attempts: first and largest, ms. Default 100 and 5000. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Free space wanted beyond the write-ahead log's size before a reopen is tried. Default 1 MiB. */
  readonly headroomBytes?: number;
}

export type SpaceState = "ok" | "full";

export interface SpaceStatus {
  readonly state: SpaceState;
  /** When the store last ran out of space (ms since the epoch); 0 when it never did. */
  readonly since: number;
  /** The error LevelDB gave, while full. */
  readonly reason: string;
  /** Recovery attempts since the store filled up. */
  readonly attempts: number;
}

export class SpaceClosedError extends Error {
  readonly code = "RAFTKV_STORE_CLOSED";
}

/**
 * Holds every LevelDB write while the disk is full (see the top of this file). Install once, right
 * after the database opens: `new SpaceGate(db, options)`.
 */
export class SpaceGate {
  readonly #db: GatedLevel;
  readonly #o: SpaceGateOptions & { log?: SpaceLogger };
  #state: SpaceState = "ok";
  #since = 0;
  #reason = "";
  #attempts = 0;
  /** Bumped on every failure: a write that started before and ends after one is suspect. */
  #epoch = 0;
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #writable: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Held writes, released by issue order (sequence) once the store is back. */
  #held: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  #seq = 0;
  #recovering: Promise<void> | null = null;
  #closed = false;
  readonly #listeners = new Set<(status: SpaceStatus) => void>();
  readonly #hooks: { beforeReopen: (() => Promise<void>)[]; afterReopen: (() => Promise<void>)[] } = {
    beforeReopen: [],
    afterReopen: [],
  };

  constructor(db: GatedLevel, options: SpaceGateOptions) {
    this.#db = db;
    this.#o = { ...options };
    for (const method of ["_put", "_del", "_batch", "_clear"] as const) {
      const original = (db[method] as (...args: unknown[]) => Promise<void>).bind(db);
      (db as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        this.#write(() => original(...args));
    }
  }

  /** Where the state changes are logged from now on. */
  useLogger(log: SpaceLogger): void {
    this.#o.log = log;
  }

  get status(): SpaceStatus {
    return { state: this.#state, since: this.#since, reason: this.#reason, attempts: this.#attempts };
  }

  /** Called on every change of state ("full", then "ok" once reopened). Returns an unsubscribe. */
  onChange(fn: (status: SpaceStatus) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Work around the reopen: `before` runs just before the close, `after` just after the open,
   * before the held writes go on. Neither may wait for a write: writes are held until after both.
   */
  aroundReopen(before: () => Promise<void>, after: () => Promise<void>): void {
    this.#hooks.beforeReopen.push(before);
    this.#hooks.afterReopen.push(after);
  }

  /** Resolves once the store accepts writes (at once when it does). */
  whenWritable(): Promise<void> {
    return this.#state === "ok" ? Promise.resolve() : this.#writablePromise().promise;
  }

  /** Stops waiting: held writes fail (the store is shutting down). */
  close(): void {
    this.#closed = true;
    const closed = new SpaceClosedError("the store closed while waiting for disk space");
    this.#writable?.reject(closed);
    for (const h of this.#held.splice(0)) h.reject(closed);
  }

  async #write(run: () => Promise<void>): Promise<void> {
    const seq = ++this.#seq;
    for (;;) {
      if (this.#closed && this.#state !== "ok") throw new SpaceClosedError("the store is closed");
      if (this.#state !== "ok") await this.#hold(seq);
      const epoch = this.#epoch;
      this.#inFlight++;
      let failure: unknown = null;
      try {
        await run();
      } catch (err) {
        failure = err;
      } finally {
        this.#inFlight--;
        if (this.#inFlight === 0) for (const fn of this.#idle.splice(0)) fn();
      }
      if (failure !== null) {
        if (!isNoSpaceError(failure)) throw failure;
        this.#fill(failure);
        continue;
      }
      // Done before any failure was seen: written where it belongs. Otherwise it may sit behind
      // the broken record: write it again after the reopen.
      if (epoch === this.#epoch) return;
    }
  }

  /** Waits until the store is back; held writes go again in the order they were first issued. */
  #hold(seq: number): Promise<void> {
    return new Promise((resolve, reject) => this.#held.push({ seq, resolve, reject }));
  }

  #writablePromise() {
    if (this.#writable === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      this.#writable = { promise, resolve, reject };
    }
    return this.#writable;
  }

  #fill(err: unknown): void {
    this.#epoch++;
    if (this.#state === "full") return;
    this.#state = "full";
    this.#since = Date.now();
    this.#reason = errorMessage(err);
    this.#attempts = 0;
    this.#writablePromise();
    this.#o.log?.warn(
      { err, dir: this.#o.dbDir },
      "no space left on device: writes are held (nothing more is acknowledged) until space is freed",
    );
    this.#emit();
    this.#recovering ??= this.#recover().finally(() => {
      this.#recovering = null;
    });
  }

  #emit(): void {
    const status = this.status;
    for (const fn of this.#listeners) fn(status);
  }

  async #recover(): Promise<void> {
    let delayMs = this.#o.retryMinMs ?? 100;
    const maxMs = this.#o.retryMaxMs ?? 5000;
    for (;;) {
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(maxMs, delayMs * 2);
      if (this.#closed) return;
      this.#attempts++;
      if (!(await this.#roomToReopen())) continue;
      try {
        await this.#reopen();
      } catch (err) {
        this.#o.log?.warn({ err, attempt: this.#attempts }, "reopening the store failed; retrying");
        continue;
      }
      this.#state = "ok";
      this.#reason = "";
      const writable = this.#writable;
      this.#writable = null;
      const held = this.#held.splice(0).sort((a, b) => a.seq - b.seq);
      this.#o.log?.info(
        { dir: this.#o.dbDir, fullForMs: Date.now() - this.#since },
        "disk space is back: the store is reopened and writes resume",
      );
      // Held writes first (their continuations are queued before anything a listener writes).
      for (const h of held) h.resolve();
      writable?.resolve();
      this.#emit();
      return;
    }
  }

  async #roomToReopen(): Promise<boolean> {
    try {
      const free = await freeBytes(this.#o.dbDir);
      const files = await readdir(this.#o.dbDir);
      let logBytes = 0;
      for (const name of files) {
        if (name.endsWith(".log"))
          logBytes += (await stat(join(this.#o.dbDir, name)).catch(() => null))?.size ?? 0;
      }
      return free >= logBytes + (this.#o.headroomBytes ?? 1024 * 1024);
    } catch {
      return false;
    }
  }

  async #reopen(): Promise<void> {
    // Writes still inside LevelDB finish (or fail) first; new ones are held by the gate.
    if (this.#inFlight > 0) await new Promise<void>((r) => this.#idle.push(r));
    if (this.#db.status === "open") {
      for (const fn of this.#hooks.beforeReopen) await fn();
      await this.#db.close();
    }
    await this.#db.open();
    for (const fn of this.#hooks.afterReopen) await fn();
  }
}
