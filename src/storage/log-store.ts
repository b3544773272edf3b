// The durable Raft log store: the interface both implementations (LevelDB, memory) satisfy, the
// bookkeeping they share, load-time validation and the rebuild of the core's MemoryStorage.
//
// The store mirrors the three mutations the driver makes to the in-memory MemoryStorage:
//   save({snapshot})  <-> ms.applySnapshot(snapshot)   (a snapshot from the leader replaces the log)
//   save({entries})   <-> ms.append(entries)           (an entry at a stored index replaces it and
//                                                        everything after it)
//   save({hardState}) <-> ms.setHardState(hs)
//   recordSnapshot(m) <-> ms.createSnapshot(m.index, m.confState, data)   (keeps the log)
//   compact(i)        <-> ms.compact(i)                (i <= snapshot index)
// so that `restoreMemoryStorage(await store.load())` answers exactly what the live MemoryStorage
// answered before the restart, for everything that was saved.

import { RaftError } from "../raft/errors.js";
import { EMPTY_CONF_STATE, MemoryStorage } from "../raft/storage.js";
import { EMPTY_HARD_STATE, type Entry, type HardState, type SnapshotMeta } from "../raft/types.js";
import type { LogStart } from "./codec.js";

/** Everything of one Raft Ready that must be durable, written as one synced batch. */
export interface LogUpdate {
  /** Changed hard state, or null when unchanged. */
  readonly hardState: HardState | null;
  /** Entries to append; an entry at an index already stored replaces it and all entries after it. */
  readonly entries: readonly Entry[];
  /** Metadata of a snapshot received from the leader (its data is staged in the snap dir), or null.
   *  Applied before `entries`. Index 0 only sets the bootstrap configuration. */
  readonly snapshot: SnapshotMeta | null;
  /**
   * fsync before resolving (default true). A hard state whose commit index alone changed needs
   * none (the commit index is learned again from the leader); a later synced save makes it
   * durable too, since saves are written in order.
   */
  readonly sync?: boolean;
}

export interface LoadedLog {
  readonly hardState: HardState;
  /** The latest snapshot (received, recorded, or the bootstrap configuration at index 0). */
  readonly snapshotMeta: SnapshotMeta | null;
  /** Index of the first stored entry (log start + 1); `entries` starts here. */
  readonly firstIndex: number;
  /** Term of the entry at firstIndex - 1 (compacted or covered by the snapshot); 0 when firstIndex is 1. */
  readonly compactedTerm: number;
  /** The stored entries, contiguous from firstIndex. */
  readonly entries: readonly Entry[];
}

export interface LogStore {
  /** Persist one Ready durably (fsync) and atomically. Rejects with a StorageError
   *  (RAFTKV_STORAGE_IO) when the write fails: nothing of it may then be acknowledged. */
  save(update: LogUpdate): Promise<void>;
  /** Record a snapshot the application took at meta.index (within the log). Keeps the entries:
   *  compact() drops them later, possibly retaining some for slow followers. Synced. */
  recordSnapshot(meta: SnapshotMeta): Promise<void>;
  /** Drop entries up to and including `index` (<= snapshot index). Not synced: harmless if lost. */
  compact(index: number): Promise<void>;
  /** Read and validate everything needed to rebuild the in-memory state. */
  load(): Promise<LoadedLog>;
  firstIndex(): number;
  lastIndex(): number;
  close(): Promise<void>;
}

/** What one save() changes, computed (and checked) before anything is written. */
export interface SavePlan {
  readonly snapshot: SnapshotMeta | null;
  /** The new log start, when the snapshot moves it. */
  readonly logStart: LogStart | null;
  /** Entries to put (those at or below the log start are already dropped). */
  readonly entries: readonly Entry[];
  /** Stored entries to delete: indexes in [deleteFrom, deleteTo]; empty when deleteFrom > deleteTo. */
  readonly deleteFrom: number;
  readonly deleteTo: number;
  readonly hardState: HardState | null;
  readonly lastIndex: number;
}

interface TermRun {
  /** First index of a run of entries with the same term. */
  readonly index: number;
  readonly term: number;
}

/**
 * The shape of the stored log, kept in memory by both stores: log start, last index, snapshot
 * metadata, hard state, and the term of every stored index as runs (terms change rarely).
 * Plans check the caller's arguments so that nothing is written that load() would reject.
 * Invariants: logStart.index <= snapshot index <= hardState.commit <= lastIndex;
 * runs[0].index === logStart.index; run indexes strictly increase and terms never decrease.
 */
export class LogShape {
  logStart: LogStart = { index: 0, term: 0 };
  lastIndex = 0;
  snapshotMeta: SnapshotMeta | null = null;
  hardState: HardState = EMPTY_HARD_STATE;
  #runs: TermRun[] = [{ index: 0, term: 0 }];

  static fromLoaded(loaded: LoadedLog): LogShape {
    const shape = new LogShape();
    shape.#reset({ index: loaded.firstIndex - 1, term: loaded.compactedTerm });
    shape.#appendRuns(loaded.entries);
    shape.snapshotMeta = loaded.snapshotMeta;
    shape.hardState = loaded.hardState;
    return shape;
  }

  get firstIndex(): number {
    return this.logStart.index + 1;
  }

  get snapshotIndex(): number {
    return this.snapshotMeta?.index ?? 0;
  }

  /** Term of the entry at i, for i in [logStart.index, lastIndex]; undefined outside. */
  term(i: number): number | undefined {
    if (i < this.logStart.index || i > this.lastIndex) return undefined;
    let lo = 0;
    let hi = this.#runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#runs[mid]!.index <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.#runs[lo]!.term;
  }

  planSave(update: LogUpdate): SavePlan {
    const snapshot = update.snapshot;
    let logStart: LogStart | null = null;
    let lastIndex = this.lastIndex;
    let startIndex = this.logStart.index;
    let deleteFrom = Number.POSITIVE_INFINITY;
    let deleteTo = Number.NEGATIVE_INFINITY;
    let prevTerm = (i: number): number | undefined => this.term(i);
    if (snapshot !== null) {
      this.#checkSnapshotArgs(snapshot);
      if (snapshot.index > 0) {
        if (snapshot.index <= this.snapshotIndex) {
          throw new RaftError("RAFTKV_SNAPSHOT_OUT_OF_DATE", `snapshot ${snapshot.index} is out of date`);
        }
        logStart = { index: snapshot.index, term: snapshot.term };
        // The whole log is replaced (as MemoryStorage.applySnapshot does).
        deleteFrom = this.logStart.index + 1;
        deleteTo = this.lastIndex;
        lastIndex = snapshot.index;
        startIndex = snapshot.index;
        prevTerm = (i) => (i === snapshot.index ? snapshot.term : undefined);
      } else if (this.snapshotIndex > 0 || snapshot.term !== 0) {
        throw new TypeError(
          "a snapshot at index 0 (bootstrap configuration) must have term 0 and come first",
        );
      }
    }
    const entries = this.#checkEntries(update.entries, startIndex, lastIndex, prevTerm);
    if (entries.length > 0) {
      const newLast = entries[entries.length - 1]!.index;
      if (newLast < lastIndex) {
        deleteFrom = Math.min(deleteFrom, newLast + 1);
        deleteTo = Math.max(deleteTo, lastIndex);
      }
      lastIndex = newLast;
    }
    const hardState = update.hardState;
    const commit = (hardState ?? this.hardState).commit;
    const snapshotIndex = snapshot?.index ?? this.snapshotIndex;
    if (commit > lastIndex) {
      throw new TypeError(`hard state commit ${commit} is beyond the last index ${lastIndex}`);
    }
    if (commit < snapshotIndex) {
      throw new TypeError(`hard state commit ${commit} is behind the snapshot index ${snapshotIndex}`);
    }
    return { snapshot, logStart, entries, deleteFrom, deleteTo, hardState, lastIndex };
  }

  applySave(plan: SavePlan): void {
    if (plan.snapshot !== null) this.snapshotMeta = plan.snapshot;
    if (plan.logStart !== null) this.#reset(plan.logStart);
    this.#appendRuns(plan.entries);
    this.lastIndex = plan.lastIndex;
    if (plan.hardState !== null) this.hardState = plan.hardState;
  }

  checkRecordSnapshot(meta: SnapshotMeta): void {
    this.#checkSnapshotArgs(meta);
    if (meta.index <= this.snapshotIndex) {
      throw new RaftError("RAFTKV_SNAPSHOT_OUT_OF_DATE", `snapshot ${meta.index} is out of date`);
    }
    const term = this.term(meta.index);
    if (term === undefined) {
      throw new TypeError(
        `snapshot ${meta.index} is outside the log [${this.logStart.index}, ${this.lastIndex}]`,
      );
    }
    if (term !== meta.term)
      throw new TypeError(`snapshot ${meta.index} has term ${meta.term}, the log ${term}`);
    if (meta.index > this.hardState.commit) {
      throw new TypeError(`snapshot ${meta.index} is beyond the commit index ${this.hardState.commit}`);
    }
  }

  /** The new log start for compact(index), or null when there is nothing to compact. */
  planCompact(index: number): LogStart | null {
    if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`bad compact index ${index}`);
    if (index <= this.logStart.index) return null;
    if (index > this.snapshotIndex) {
      throw new TypeError(`compact ${index} is beyond the snapshot index ${this.snapshotIndex}`);
    }
    return { index, term: this.term(index)! };
  }

  applyCompact(logStart: LogStart): void {
    const runs = this.#runs;
    let keepFrom = 0;
    while (keepFrom + 1 < runs.length && runs[keepFrom + 1]!.index <= logStart.index) keepFrom++;
    this.#runs = [logStart, ...runs.slice(keepFrom + 1)];
    this.logStart = logStart;
  }

  #reset(logStart: LogStart): void {
    this.logStart = logStart;
    this.lastIndex = logStart.index;
    this.#runs = [{ index: logStart.index, term: logStart.term }];
  }

  /** Truncate to entries[0].index - 1 and append; entries are already checked. */
  #appendRuns(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    while (this.#runs.length > 1 && this.#runs[this.#runs.length - 1]!.index >= first) this.#runs.pop();
    let lastTerm = this.#runs[this.#runs.length - 1]!.term;
    for (const e of entries) {
      if (e.term !== lastTerm) {
        this.#runs.push({ index: e.index, term: e.term });
        lastTerm = e.term;
      }
    }
    this.lastIndex = entries[entries.length - 1]!.index;
  }

  #checkSnapshotArgs(meta: SnapshotMeta): void {
    if (
      !Number.isSafeInteger(meta.index) ||
      meta.index < 0 ||
      !Number.isSafeInteger(meta.term) ||
      meta.term < 0
    ) {
      throw new TypeError(`bad snapshot index/term ${meta.index}/${meta.term}`);
    }
    const problem = confStateProblem(meta.confState.voters, meta.confState.learners);
    if (problem !== null) throw new TypeError(`snapshot ${meta.index}: ${problem}`);
  }

  /** Check contiguity and terms; return the entries after `startIndex` (older ones are compacted). */
  #checkEntries(
    all: readonly Entry[],
    startIndex: number,
    lastIndex: number,
    prevTerm: (i: number) => number | undefined,
  ): readonly Entry[] {
    if (all.length === 0) return all;
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1]!;
      const e = all[i]!;
      if (e.index !== prev.index + 1) {
        throw new TypeError(`entries are not contiguous: ${e.index} follows ${prev.index}`);
      }
      if (e.term < prev.term)
        throw new TypeError(`entry ${e.index} has term ${e.term} after term ${prev.term}`);
    }
    const skip = startIndex + 1 - all[0]!.index;
    const entries = skip > 0 ? all.slice(skip) : all;
    const first = entries[0];
    if (first === undefined) return entries;
    if (!Number.isSafeInteger(first.index) || first.index < 1)
      throw new TypeError(`bad entry index ${first.index}`);
    if (first.index > lastIndex + 1) {
      throw new TypeError(`append at ${first.index} leaves a gap after the last index ${lastIndex}`);
    }
    const before = prevTerm(first.index - 1);
    if (before !== undefined && first.term < before) {
      throw new TypeError(`entry ${first.index} has term ${first.term} after term ${before}`);
    }
    return entries;
  }
}

/** Duplicate or overlapping IDs in a configuration, or null when it is well formed. */
export function confStateProblem(voters: readonly number[], learners: readonly number[]): string | null {
  const seen = new Set<number>();
  for (const id of [...voters, ...learners]) {
    if (!Number.isSafeInteger(id) || id <= 0) return `bad node ID ${id} in the configuration`;
    if (seen.has(id)) return `node ${id} appears twice in the configuration`;
    seen.add(id);
  }
  return null;
}

/**
 * Invariants of a loaded log: entries contiguous from firstIndex with non-decreasing terms, the
 * snapshot consistent with the log, the commit index within [snapshot index, last index].
 * Returns a description of the first violation, or null. (Checksums are verified while reading.)
 */
export function loadedLogProblem(loaded: LoadedLog): string | null {
  const { hardState, snapshotMeta, firstIndex, compactedTerm, entries } = loaded;
  const start = firstIndex - 1;
  const lastIndex = start + entries.length;
  const snapshotIndex = snapshotMeta?.index ?? 0;
  if (start > 0 && snapshotMeta === null) return `the log starts at ${firstIndex} but there is no snapshot`;
  if (snapshotIndex < start) return `snapshot ${snapshotIndex} is behind the log start ${start}`;
  if (snapshotMeta !== null) {
    if (snapshotIndex > lastIndex) return `snapshot ${snapshotIndex} is beyond the last index ${lastIndex}`;
    const termAtSnapshot =
      snapshotIndex === start ? compactedTerm : entries[snapshotIndex - firstIndex]?.term;
    if (termAtSnapshot !== snapshotMeta.term) {
      return `snapshot ${snapshotIndex} has term ${snapshotMeta.term} but the log has term ${termAtSnapshot}`;
    }
    const problem = confStateProblem(snapshotMeta.confState.voters, snapshotMeta.confState.learners);
    if (problem !== null) return `snapshot ${snapshotIndex}: ${problem}`;
  }
  let prevTerm = compactedTerm;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.index !== firstIndex + i) return `entry ${firstIndex + i} is missing (found ${e.index})`;
    if (e.term < prevTerm) return `entry ${e.index} has term ${e.term} after term ${prevTerm}`;
    prevTerm = e.term;
  }
  if (hardState.commit > lastIndex)
    return `hard state commit ${hardState.commit} is beyond the last index ${lastIndex}`;
  if (hardState.commit < snapshotIndex) {
    return `hard state commit ${hardState.commit} is behind the snapshot index ${snapshotIndex}`;
  }
  return null;
}

/**
 * Rebuild the core's MemoryStorage from a loaded log: the log start (as a snapshot at
 * firstIndex - 1), the entries, the snapshot (recorded on top when entries before it are
 * retained), the bootstrap configuration, the hard state. Snapshot data is left empty: the node
 * streams it from the snap dir.
 */
export function restoreMemoryStorage(loaded: LoadedLog): MemoryStorage {
  const ms = new MemoryStorage();
  const start = loaded.firstIndex - 1;
  const snapshotMeta = loaded.snapshotMeta;
  const confState = snapshotMeta?.confState ?? EMPTY_CONF_STATE;
  const noData = new Uint8Array(0);
  if (start > 0) {
    ms.applySnapshot({ meta: { index: start, term: loaded.compactedTerm, confState }, data: noData });
  } else {
    ms.setConfState(confState);
  }
  ms.append(loaded.entries);
  if (snapshotMeta !== null && snapshotMeta.index > start) {
    ms.createSnapshot(snapshotMeta.index, snapshotMeta.confState, noData);
  }
  ms.setHardState(loaded.hardState);
  return ms;
}
