// MemoryLogStore: the in-memory LogStore, same semantics as LevelLogStore, used as the test double.
// The "disk" is a MemoryLogDisk object that outlives the store, so a test can close a store and
// open a new one on the same disk to model a restart (nothing is lost: every save is durable).

import type { Entry, HardState, SnapshotMeta } from "../raft/types.js";
import type { LogStart } from "./codec.js";
import { StorageError } from "./errors.js";
import { type LoadedLog, LogShape, type LogStore, type LogUpdate, loadedLogProblem } from "./log-store.js";

export class MemoryLogDisk {
  hardState: HardState | null = null;
  snapshotMeta: SnapshotMeta | null = null;
  logStart: LogStart = { index: 0, term: 0 };
  /** Stored entries by index (may hold stale entries at or below the log start, like LevelDB). */
  readonly entries = new Map<number, Entry>();
}

export class MemoryLogStore implements LogStore {
  readonly disk: MemoryLogDisk;
  #shape: LogShape;
  #closed = false;

  private constructor(disk: MemoryLogDisk, shape: LogShape) {
    this.disk = disk;
    this.#shape = shape;
  }

  static async open(disk: MemoryLogDisk = new MemoryLogDisk()): Promise<MemoryLogStore> {
    const loaded = readDisk(disk);
    return new MemoryLogStore(disk, LogShape.fromLoaded(loaded));
  }

  async save(update: LogUpdate): Promise<void> {
    this.#checkOpen();
    const plan = this.#shape.planSave(update);
    const disk = this.disk;
    if (plan.snapshot !== null) disk.snapshotMeta = plan.snapshot;
    if (plan.logStart !== null) disk.logStart = plan.logStart;
    for (let i = plan.deleteFrom; i <= plan.deleteTo; i++) disk.entries.delete(i);
    for (const e of plan.entries) disk.entries.set(e.index, copyEntry(e));
    if (plan.hardState !== null) disk.hardState = plan.hardState;
    this.#shape.applySave(plan);
  }

  async recordSnapshot(meta: SnapshotMeta): Promise<void> {
    this.#checkOpen();
    this.#shape.checkRecordSnapshot(meta);
    this.disk.snapshotMeta = meta;
    this.#shape.snapshotMeta = meta;
  }

  async compact(index: number): Promise<void> {
    this.#checkOpen();
    const logStart = this.#shape.planCompact(index);
    if (logStart === null) return;
    this.disk.logStart = logStart;
    for (const i of [...this.disk.entries.keys()]) if (i <= index) this.disk.entries.delete(i);
    this.#shape.applyCompact(logStart);
  }

  async load(): Promise<LoadedLog> {
    this.#checkOpen();
    return readDisk(this.disk);
  }

  firstIndex(): number {
    return this.#shape.firstIndex;
  }

  lastIndex(): number {
    return this.#shape.lastIndex;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageError("RAFTKV_STORE_CLOSED", "memory log store is closed");
  }
}

/** The caller may reuse its buffers after save() resolves; the disk keeps its own copy. */
function copyEntry(e: Entry): Entry {
  return { index: e.index, term: e.term, type: e.type, data: Uint8Array.from(e.data) };
}

function readDisk(disk: MemoryLogDisk): LoadedLog {
  const start = disk.logStart;
  const entries: Entry[] = [];
  for (let i = start.index + 1; ; i++) {
    const e = disk.entries.get(i);
    if (e === undefined) break;
    entries.push(e);
  }
  const stray = [...disk.entries.keys()].find((i) => i > start.index + entries.length);
  if (stray !== undefined) {
    throw new StorageError(
      "RAFTKV_CORRUPT_STORE",
      `corrupt memory store: entry ${start.index + entries.length + 1} is missing before entry ${stray}`,
    );
  }
  const loaded: LoadedLog = {
    hardState: disk.hardState ?? { term: 0, vote: 0, commit: 0 },
    snapshotMeta: disk.snapshotMeta,
    firstIndex: start.index + 1,
    compactedTerm: start.term,
    entries,
  };
  const problem = loadedLogProblem(loaded);
  if (problem !== null) throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt memory store: ${problem}`);
  return loaded;
}
