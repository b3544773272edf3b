// The Raft log as the core sees it: a stable part (in Storage, already durable) followed by an
// unstable part (accepted by the core, handed to the driver in a Ready, not yet durable).
//
// Invariants: applied <= committed <= lastIndex; committed entries are never overwritten.

import { assert, CompactedError, RaftError, UnavailableError } from "./errors.js";
import { entryBytes, type Storage } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";

export class RaftLog {
  readonly storage: Storage;
  /** A snapshot received from the leader, not yet durable. */
  unstableSnapshot: Snapshot | null = null;
  /** Entries not yet durable; unstableEntries[i] has index unstableOffset + i. */
  unstableEntries: Entry[] = [];
  unstableOffset: number;
  /**
   * Last index handed to the driver to persist (in a Ready) whose write may still be in flight:
   * entries in (inProgressTo, lastIndex] are not yet handed out. Invariant:
   * unstableOffset - 1 <= inProgressTo <= lastIndex (as etcd-io/raft's offsetInProgress).
   */
  inProgressTo: number;
  /** The unstable snapshot was handed to the driver in a Ready. */
  snapshotInProgress = false;
  committed: number;
  applied: number;

  constructor(storage: Storage, applied: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstableOffset = last + 1;
    this.inProgressTo = last;
    const { hardState } = storage.initialState();
    // The state machine holds at least the snapshot (restored from it at restart).
    const floor = Math.max(first - 1, storage.snapshot().meta.index);
    // Only committed entries are ever applied, and the driver applies entries once they are
    // durable here without waiting for the commit index itself to be durable (a commit-only hard
    // state is written unsynced): an applied index above the stored commit index is committed.
    this.committed = Math.max(hardState.commit, floor, Math.min(applied, last));
    this.applied = Math.min(Math.max(applied, floor), this.committed);
  }

  firstIndex(): number {
    if (this.unstableSnapshot !== null) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot !== null) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** Last index that is durable (in storage and not superseded by unstable data). */
  stableLastIndex(): number {
    if (this.unstableSnapshot !== null) return 0;
    return Math.min(this.storage.lastIndex(), this.unstableOffset - 1);
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i, or throws CompactedError / UnavailableError. */
  term(i: number): number {
    if (i >= this.unstableOffset) {
      const e = this.unstableEntries[i - this.unstableOffset];
      if (e !== undefined) return e.term;
      throw new UnavailableError(i, this.lastIndex());
    }
    const snap = this.unstableSnapshot;
    if (snap !== null) {
      if (i === snap.meta.index) return snap.meta.term;
      if (i < snap.meta.index) throw new CompactedError(i, snap.meta.index + 1);
    }
    // Between snapshot and unstableOffset the storage answers (or the index is compacted).
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 when it is compacted or unavailable. */
  termOrZero(i: number): number {
    try {
      return this.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return 0;
      throw err;
    }
  }

  matchTerm(i: number, term: number): boolean {
    if (i === 0) return term === 0;
    try {
      return this.term(i) === term;
    } catch (err) {
      if (err instanceof CompactedError) {
        // A compacted entry is committed, so it matches iff the leader's term... we cannot
        // tell; treat as match only when it is at or before our commit (committed entries
        // are identical on every node that has them — Log Matching + Leader Completeness).
        return i <= this.committed;
      }
      if (err instanceof UnavailableError) return false;
      throw err;
    }
  }

  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most maxBytes (at least one entry when lo < hi). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    assert(hi <= this.lastIndex() + 1, `slice [${lo},${hi}) beyond last index ${this.lastIndex()}`);
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    const out: Entry[] = [];
    let bytes = 0;
    if (lo < this.unstableOffset) {
      const stableHi = Math.min(hi, this.unstableOffset);
      const stable = this.storage.entries(lo, stableHi, maxBytes);
      for (const e of stable) {
        bytes += entryBytes(e);
        out.push(e);
      }
      if (stable.length < stableHi - lo) return out; // size limit reached
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstableEntries[i - this.unstableOffset]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /**
   * Append entries received from the leader after index `prevIndex` (already matched).
   * Conflicting uncommitted entries are truncated. Returns the new last index.
   */
  appendFromLeader(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    // Skip entries we already have with the same term.
    let k = 0;
    while (k < entries.length) {
      const e = entries[k]!;
      if (e.index > this.lastIndex() || !this.matchTerm(e.index, e.term)) break;
      k++;
    }
    if (k === entries.length) return;
    const first = entries[k]!;
    assert(first.index > this.committed, `conflict at ${first.index} below commit ${this.committed}`);
    this.#truncateAndAppend(entries.slice(k));
  }

  /** Leader-local append (no conflicts possible). */
  appendLocal(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    assert(entries[0]!.index === this.lastIndex() + 1, "local append must extend the log");
    this.#truncateAndAppend(entries);
  }

  #truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    // Entries replaced while their write is in flight are handed out again (the later write
    // lands after the earlier one and overwrites it).
    if (first - 1 < this.inProgressTo) this.inProgressTo = first - 1;
    if (first === this.unstableOffset + this.unstableEntries.length) {
      for (const e of entries) this.unstableEntries.push(e);
    } else if (first <= this.unstableOffset) {
      // Replaces part of the stable log (or all unstable entries).
      this.unstableOffset = first;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries.length = first - this.unstableOffset;
      for (const e of entries) this.unstableEntries.push(e);
    }
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Install a snapshot from the leader: everything before is replaced. */
  restore(snapshot: Snapshot): void {
    this.unstableSnapshot = snapshot;
    this.unstableEntries = [];
    this.unstableOffset = snapshot.meta.index + 1;
    this.inProgressTo = snapshot.meta.index;
    this.snapshotInProgress = false;
    this.committed = snapshot.meta.index;
  }

  /** Unstable entries not yet handed to the driver. */
  entriesToPersist(): Entry[] {
    const from = Math.max(this.inProgressTo + 1, this.unstableOffset);
    return this.unstableEntries.slice(from - this.unstableOffset);
  }

  hasEntriesToPersist(): boolean {
    return this.unstableOffset + this.unstableEntries.length - 1 > this.inProgressTo;
  }

  /** The driver took every unstable entry (and the unstable snapshot) to persist. */
  markInProgress(): void {
    this.inProgressTo = this.lastIndex();
    if (this.unstableSnapshot !== null) this.snapshotInProgress = true;
  }

  /** The driver made the given snapshot and entries durable. */
  stableTo(snapshot: Snapshot | null, entries: readonly Entry[]): void {
    if (
      snapshot !== null &&
      this.unstableSnapshot !== null &&
      this.unstableSnapshot.meta.index === snapshot.meta.index
    ) {
      this.unstableSnapshot = null;
      this.snapshotInProgress = false;
    }
    // Find the last persisted entry that still matches what we hold; entries after it may have
    // been replaced while the write was in flight and stay unstable.
    for (let k = entries.length - 1; k >= 0; k--) {
      const e = entries[k]!;
      const u = this.unstableEntries[e.index - this.unstableOffset];
      if (e.index >= this.unstableOffset && u !== undefined && u.term === e.term) {
        const drop = e.index - this.unstableOffset + 1;
        this.unstableEntries = this.unstableEntries.slice(drop);
        this.unstableOffset = e.index + 1;
        if (this.inProgressTo < e.index) this.inProgressTo = e.index;
        return;
      }
    }
  }

  /**
   * Committed entries not yet applied and durable on this node, at most maxBytes (at least one).
   * Entries whose write is still in flight wait (etcd-io/raft does the same with asynchronous
   * storage writes): at a restart the state machine is never ahead of the durable log.
   */
  nextCommitted(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed, this.stableLastIndex()) + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, maxBytes);
  }

  hasNextCommitted(): boolean {
    const hi = Math.min(this.committed, this.stableLastIndex());
    return hi > this.applied && hi >= this.firstIndex();
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, `applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /**
   * For fast back-off: the largest index <= `index` whose term is <= `term` (Raft thesis
   * 5.3 optimisation, as etcd-io/raft findConflictByTerm).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch (err) {
        if (err instanceof RaftError) return { index: i, term: 0 };
        throw err;
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }
}
