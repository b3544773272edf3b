import { type Storage } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";
export declare class RaftLog {
    #private;
    readonly storage: Storage;
    /** A snapshot received from the leader, not yet durable. */
    unstableSnapshot: Snapshot | null;
    /** Entries not yet durable; unstableEntries[i] has index unstableOffset + i. */
    unstableEntries: Entry[];
    unstableOffset: number;
    committed: number;
    applied: number;
    constructor(storage: Storage, applied: number);
    firstIndex(): number;
    lastIndex(): number;
    /** Last index that is durable (in storage and not superseded by unstable data). */
    stableLastIndex(): number;
    lastTerm(): number;
    /** Term of entry i, or throws CompactedError / UnavailableError. */
    term(i: number): number;
    /** Term of entry i, or 0 when it is compacted or unavailable. */
    termOrZero(i: number): number;
    matchTerm(i: number, term: number): boolean;
    isUpToDate(lastIndex: number, lastTerm: number): boolean;
    /** Entries in [lo, hi), at most maxBytes (at least one entry when lo < hi). */
    slice(lo: number, hi: number, maxBytes: number): Entry[];
    /**
     * Append entries received from the leader after index `prevIndex` (already matched).
     * Conflicting uncommitted entries are truncated. Returns the new last index.
     */
    appendFromLeader(entries: readonly Entry[]): void;
    /** Leader-local append (no conflicts possible). */
    appendLocal(entries: readonly Entry[]): void;
    commitTo(index: number): boolean;
    /** Install a snapshot from the leader: everything before is replaced. */
    restore(snapshot: Snapshot): void;
    /** The driver made the given snapshot and entries durable. */
    stableTo(snapshot: Snapshot | null, entries: readonly Entry[]): void;
    /** Committed entries not yet applied, at most maxBytes (at least one). */
    nextCommitted(maxBytes: number): Entry[];
    hasNextCommitted(): boolean;
    appliedTo(index: number): void;
    /**
     * For fast back-off: the largest index <= `index` whose term is <= `term` (Raft thesis
     * 5.3 optimisation, as etcd-io/raft findConflictByTerm).
     */
    findConflictByTerm(index: number, term: number): {
        index: number;
        term: number;
    };
}
