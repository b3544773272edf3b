import type { HistorySlice } from "./history.js";
import type { AppliedBatch } from "./mvcc.js";
import { type KeyBounds } from "./range.js";
import type { Event, KeyValue } from "./types.js";
/** What a watcher watches, as etcd's WatchCreateRequest says it. */
export interface WatchSpec {
    readonly key: Buffer;
    /** Empty: the key alone; "\0": every key >= key; else [key, rangeEnd). */
    readonly rangeEnd: Buffer;
    /** First revision to deliver; 0 (or less): from the next revision on. */
    readonly startRevision: number;
    readonly prevKv: boolean;
    readonly noPut: boolean;
    readonly noDelete: boolean;
    readonly progressNotify: boolean;
}
/** Where a watcher's output goes (one per client stream, usually). Calls are synchronous. */
export interface WatchSink {
    /** Events for `watcher`, in revision order; every revision up to `revision` is delivered. */
    deliver(watcher: Watcher, events: Event[], revision: number): void;
    /** The hub ended the watcher: its start revision was compacted (compactRevision > 0). */
    ended(watcher: Watcher, compactRevision: number, reason: string): void;
    /** A progress notification: nothing more up to `revision` (progress_notify watchers). */
    progress(watcher: Watcher, revision: number): void;
    /** The watcher caught up with the hub (it is synced from now on). */
    synced?(watcher: Watcher): void;
    /** False while the sink's buffer is too full to take replayed history. */
    ready(): boolean;
}
/** The part of KvStateMachine the hub reads. */
export interface WatchSource {
    readonly revision: number;
    readonly compactedRevision: number;
    onApplied(listener: (batch: AppliedBatch) => void): () => void;
    historyRecords(from: number, to: number, maxRecords: number): Promise<HistorySlice>;
    previousVersion(key: Buffer, main: number, sub: number): Promise<KeyValue | null>;
}
export interface WatchHubOptions {
    /** Records read from history per replay slice. Default 1000. */
    historyBatchRecords?: number;
    /** Period of progress notifications to progress_notify watchers. Default 10 min (etcd's). */
    progressNotifyIntervalMs?: number;
}
export type WatcherState = "synced" | "unsynced" | "ended";
export declare class Watcher {
    /** Unique in the hub (not the client's watch_id: that is the stream's business). */
    readonly id: number;
    readonly spec: WatchSpec;
    readonly sink: WatchSink;
    readonly bounds: KeyBounds;
    /** The next revision this watcher may be handed; every earlier one was delivered or skipped. */
    nextRevision: number;
    state: WatcherState;
    constructor(id: number, spec: WatchSpec, sink: WatchSink, nextRevision: number);
    /** True if the key (latin1) is in the watched range. */
    covers(name: string): boolean;
    wants(event: Event): boolean;
}
export declare class WatchHub {
    #private;
    /** Subscribe before the source applies anything more: the hub starts at its current revision. */
    constructor(source: WatchSource, options?: WatchHubOptions);
    /** The last revision every synced watcher has been handed. */
    get revision(): number;
    get compactedRevision(): number;
    /** Number of live watchers. */
    get size(): number;
    /**
     * Starts a watcher. It is synced at once when it starts after the hub's revision; otherwise it
     * replays history first (an already compacted start ends it, asynchronously, through the sink).
     */
    watch(spec: WatchSpec, sink: WatchSink): Watcher;
    /** Ends a watcher; nothing more reaches its sink. Idempotent. */
    cancel(watcher: Watcher): void;
    isSynced(watcher: Watcher): boolean;
    /** A sink has room again: replay continues for its unsynced watchers. */
    notifyReady(): void;
    /** Stops following the store; watchers stay as they are and get nothing more. */
    close(): void;
}
