import { type ConfState, type Entry, type HardState, type Snapshot } from "./types.js";
export interface Storage {
    /** The hard state and configuration to restart from. */
    initialState(): {
        hardState: HardState;
        confState: ConfState;
    };
    /** Entries in [lo, hi), at most `maxBytes` of data (always at least one entry when lo < hi).
     *  Throws CompactedError when lo <= snapshot index, UnavailableError when hi > lastIndex + 1. */
    entries(lo: number, hi: number, maxBytes: number): Entry[];
    /** Term of the entry at i; i may be the snapshot index. Throws CompactedError/UnavailableError. */
    term(i: number): number;
    /** Index of the first entry still in the log (snapshot index + 1). */
    firstIndex(): number;
    /** Index of the last entry (the snapshot index when the log is empty). */
    lastIndex(): number;
    /** The latest snapshot. */
    snapshot(): Snapshot;
}
export declare const EMPTY_CONF_STATE: ConfState;
export declare function entryBytes(e: Entry): number;
export declare class MemoryStorage implements Storage {
    #private;
    initialState(): {
        hardState: HardState;
        confState: ConfState;
    };
    /** The configuration is carried by the snapshot; at bootstrap the driver sets it here. */
    setConfState(confState: ConfState): void;
    hardState(): HardState;
    setHardState(hs: HardState): void;
    entries(lo: number, hi: number, maxBytes: number): Entry[];
    term(i: number): number;
    firstIndex(): number;
    lastIndex(): number;
    snapshot(): Snapshot;
    /** Append entries; an entry at an index already present replaces it and all after it. */
    append(entries: readonly Entry[]): void;
    /** Replace everything with a snapshot received from the leader. */
    applySnapshot(snapshot: Snapshot): void;
    /** Record a snapshot taken by the application at `index` (<= lastIndex). Does not compact. */
    createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
    /** Drop entries up to and including `index`, which must not pass the snapshot index. */
    compact(index: number): void;
}
