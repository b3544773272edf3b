import { MemoryStorage } from "../raft/storage.js";
import { type Entry, type HardState, type SnapshotMeta } from "../raft/types.js";
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
/**
 * The shape of the stored log, kept in memory by both stores: log start, last index, snapshot
 * metadata, hard state, and the term of every stored index as runs (terms change rarely).
 * Plans check the caller's arguments so that nothing is written that load() would reject.
 * Invariants: logStart.index <= snapshot index <= hardState.commit <= lastIndex;
 * runs[0].index === logStart.index; run indexes strictly increase and terms never decrease.
 */
export declare class LogShape {
    #private;
    logStart: LogStart;
    lastIndex: number;
    snapshotMeta: SnapshotMeta | null;
    hardState: HardState;
    static fromLoaded(loaded: LoadedLog): LogShape;
    get firstIndex(): number;
    get snapshotIndex(): number;
    /** Term of the entry at i, for i in [logStart.index, lastIndex]; undefined outside. */
    term(i: number): number | undefined;
    planSave(update: LogUpdate): SavePlan;
    applySave(plan: SavePlan): void;
    checkRecordSnapshot(meta: SnapshotMeta): void;
    /** The new log start for compact(index), or null when there is nothing to compact. */
    planCompact(index: number): LogStart | null;
    applyCompact(logStart: LogStart): void;
}
/** Duplicate or overlapping IDs in a configuration, or null when it is well formed. */
export declare function confStateProblem(voters: readonly number[], learners: readonly number[]): string | null;
/**
 * Invariants of a loaded log: entries contiguous from firstIndex with non-decreasing terms, the
 * snapshot consistent with the log, the commit index within [snapshot index, last index].
 * Returns a description of the first violation, or null. (Checksums are verified while reading.)
 */
export declare function loadedLogProblem(loaded: LoadedLog): string | null;
/**
 * Rebuild the core's MemoryStorage from a loaded log: the log start (as a snapshot at
 * firstIndex - 1), the entries, the snapshot (recorded on top when entries before it are
 * retained), the bootstrap configuration, the hard state. Snapshot data is left empty: the node
 * streams it from the snap dir.
 */
export declare function restoreMemoryStorage(loaded: LoadedLog): MemoryStorage;
