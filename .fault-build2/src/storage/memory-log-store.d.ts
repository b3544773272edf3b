import type { Entry, HardState, SnapshotMeta } from "../raft/types.js";
import type { LogStart } from "./codec.js";
import { type LoadedLog, type LogStore, type LogUpdate } from "./log-store.js";
export declare class MemoryLogDisk {
    hardState: HardState | null;
    snapshotMeta: SnapshotMeta | null;
    logStart: LogStart;
    /** Stored entries by index (may hold stale entries at or below the log start, like LevelDB). */
    readonly entries: Map<number, Entry>;
}
export declare class MemoryLogStore implements LogStore {
    #private;
    readonly disk: MemoryLogDisk;
    private constructor();
    static open(disk?: MemoryLogDisk): Promise<MemoryLogStore>;
    save(update: LogUpdate): Promise<void>;
    recordSnapshot(meta: SnapshotMeta): Promise<void>;
    compact(index: number): Promise<void>;
    load(): Promise<LoadedLog>;
    firstIndex(): number;
    lastIndex(): number;
    close(): Promise<void>;
}
