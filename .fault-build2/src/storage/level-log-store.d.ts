import type { Level } from "level";
import { type HardState, type SnapshotMeta } from "../raft/types.js";
import { type LoadedLog, type LogStore, type LogUpdate } from "./log-store.js";
export type RawLevel = Level<Buffer, Buffer>;
export interface TailState {
    readonly firstIndex: number;
    readonly lastIndex: number;
    readonly lastTerm: number;
    readonly hardState: HardState;
    readonly snapshotIndex: number;
    readonly snapshotTerm: number;
}
/** Entries deleted per batch by compact() (bounded, so saves interleave with a long purge). */
export declare const COMPACT_BATCH_ENTRIES_MAX = 4096;
export declare class LevelLogStore implements LogStore {
    #private;
    private constructor();
    /** Open on an already open LevelDB: reads and validates the whole log (throws if corrupt). */
    static open(db: RawLevel, where: string): Promise<LevelLogStore>;
    save(update: LogUpdate): Promise<void>;
    recordSnapshot(meta: SnapshotMeta): Promise<void>;
    compact(index: number): Promise<void>;
    load(): Promise<LoadedLog>;
    firstIndex(): number;
    lastIndex(): number;
    /** Snapshot metadata and hard state as stored (for the node's status and the KV snapshot). */
    snapshotMeta(): SnapshotMeta | null;
    hardState(): HardState;
    /** The durable tail of the log: what a later open must find again (the shutdown marker). */
    tailState(): TailState;
    /** A synced write queued after every earlier mutation: when it resolves, all earlier writes
     *  (including unsynced compactions) are durable. */
    syncBarrier(): Promise<void>;
    /** Waits for queued mutations; does not close the LevelDB (the DataDir owns it). */
    close(): Promise<void>;
}
/** Read and validate the hard state, snapshot meta, log start and every entry after the log start. */
export declare function readLog(db: RawLevel, where: string): Promise<LoadedLog>;
