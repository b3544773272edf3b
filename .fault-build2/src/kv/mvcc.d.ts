import { type RequestId } from "./command.js";
import { KvError } from "./errors.js";
import { type HistorySlice } from "./history.js";
import { type Lease, type LeaseChanges } from "./lease.js";
import type { CompactionResponse, DeleteRangeResponse, Event, KeyValue, LeaseGrantResponse, LeaseRevokeResponse, MemberMetadata, PutResponse, RangeRequest, RangeResponse, TxnResponse } from "./types.js";
/** The part of an abstract-level database the state machine uses. */
export interface KvDatabase {
    readonly supports: {
        readonly explicitSnapshots: boolean;
    };
    get(key: Buffer): Promise<Buffer | undefined>;
    getMany(keys: Buffer[], options?: KvReadOptions): Promise<(Buffer | undefined)[]>;
    put(key: Buffer, value: Buffer): Promise<void>;
    batch(operations: BatchOp[], options?: {
        sync?: boolean;
    }): Promise<void>;
    clear(range: {
        gt?: Buffer;
        lt?: Buffer;
    }): Promise<void>;
    iterator(options: KvReadOptions & {
        gt?: Buffer;
        gte?: Buffer;
        lt?: Buffer;
        reverse?: boolean;
        limit?: number;
    }): KvIterator;
    snapshot(): KvSnapshot;
}
interface KvSnapshot {
    close(): Promise<void>;
}
interface KvReadOptions {
    keyEncoding?: "buffer";
    valueEncoding?: "buffer";
    snapshot?: KvSnapshot;
}
interface KvIterator {
    nextv(size: number): Promise<[Buffer, Buffer][]>;
    close(): Promise<void>;
}
export interface KvStateMachineOptions {
    /**
     * Whether a lease exists, for Put with a lease (etcd: "requested lease not found"). Must answer
     * from replicated state only (deterministic). Default: the replicated lease table (lease.ts).
     */
    leaseExists?: (id: number) => boolean;
    /** Physical compaction failed (it stops; the next Compact or a restart resumes it). */
    onBackgroundError?: (err: Error) => void;
}
/**
 * What one apply() (or snapshot import) changed, handed to onApplied listeners once it is in
 * LevelDB: the watch hub and the leader's lease clock follow the store through these.
 */
export interface AppliedBatch {
    /** The store revision after the batch; every revision up to it is readable from history. */
    readonly revision: number;
    readonly compactedRevision: number;
    /** One per changed key, in revision then sub-revision order; prevKv always set when there was one. */
    readonly events: readonly Event[];
    readonly leases: LeaseChanges;
    /** True after a snapshot import replaced the whole store: no events, the revision may jump. */
    readonly snapshot: boolean;
}
/**
 * A committed Raft entry. Empty data is a no-op (a new leader's empty entry). Pass entries that
 * are not KV commands (membership changes) with empty data, or leave them out: indexes must
 * increase, gaps are fine.
 */
export interface CommittedEntry {
    index: number;
    data: Uint8Array;
    /**
     * Member metadata this entry sets (null: removes), stored in the same batch as the applied
     * index and carried by snapshots: give it with the membership-change entry it comes from.
     */
    members?: readonly MemberUpdate[];
}
export interface MemberUpdate {
    id: number;
    member: MemberMetadata | null;
}
export type KvResult = PutResponse | DeleteRangeResponse | TxnResponse | CompactionResponse | LeaseGrantResponse | LeaseRevokeResponse;
export type BatchOp = {
    type: "put";
    key: Buffer;
    value: Buffer;
} | {
    type: "del";
    key: Buffer;
};
export declare class KvStateMachine {
    #private;
    private constructor();
    /**
     * Opens the state machine on an open database, initializing an empty one. A store left by an
     * interrupted snapshot import opens in a failed state (`incompleteImport`): only
     * importSnapshot() works.
     */
    static open(db: KvDatabase, options?: KvStateMachineOptions): Promise<KvStateMachine>;
    /** Last Raft index applied (etcd's consistent index). */
    get appliedIndex(): number;
    /** Current revision; 1 for an empty store. */
    get revision(): number;
    /** Revisions below this are compacted away; 0 = never compacted. */
    get compactedRevision(): number;
    /** Number of live keys. */
    get size(): number;
    /** True when the store holds an interrupted snapshot import. */
    get incompleteImport(): boolean;
    /**
     * Applies committed entries in index order and writes all their changes, with the new applied
     * index, in ONE LevelDB batch (not synced: the Raft log is the durable record; see persist()).
     * Entries at or below appliedIndex are skipped. Returns the result of each KV command by request
     * id: a response (header: only `revision` set) or the KvError etcd would answer with. Commands
     * of other kinds (leases) yield nothing here. Calls must not overlap.
     * Throws (and the state machine refuses further use) on a corrupt entry or a failed write.
     */
    apply(entries: readonly CommittedEntry[]): Promise<Map<RequestId, KvResult | KvError>>;
    /**
     * Calls `listener` after every apply() that wrote something and after every snapshot import,
     * synchronously, once the batch is in LevelDB and before apply() resolves (so before the
     * proposer learns its result). Returns a function that removes it.
     */
    onApplied(listener: (batch: AppliedBatch) => void): () => void;
    /** The stored metadata of one member. */
    member(id: number): MemberMetadata | undefined;
    /**
     * Range at the latest revision (revision <= 0 or = current), synchronous. Throws KvError for a
     * compacted or future revision, and TypeError for another past revision: use rangeAt().
     * Returned KeyValues are shared with the store: read-only.
     */
    range(req: RangeRequest): RangeResponse;
    /** Range at any revision still held: the latest from memory, a past one from LevelDB. */
    rangeAt(req: RangeRequest): Promise<RangeResponse>;
    /** The member metadata stored by apply() (or a snapshot), by member ID in ascending order. */
    loadMembers(): Promise<[number, MemberMetadata][]>;
    /** A live lease of the replicated table (read-only). */
    lease(id: number): Lease | undefined;
    /** Every live lease ID, ascending. */
    leaseIds(): number[];
    /**
     * The versions written by revisions [from, to] (at most about `maxRecords`, whole revisions),
     * for watch replay. Only revisions already handed to onApplied listeners are certain to be
     * there; check compactedRevision after the read (see history.ts).
     */
    historyRecords(from: number, to: number, maxRecords: number): Promise<HistorySlice>;
    /** The version of `key` live just before revision (main, sub), from history: a replayed prev_kv. */
    previousVersion(key: Buffer, main: number, sub: number): Promise<KeyValue | null>;
    /** Resolves once history below `revision` is physically removed (Compact with `physical`). */
    waitCompaction(revision: number): Promise<void>;
    /** Revision up to which history is physically removed. */
    get physicallyCompactedRevision(): number;
    /** Stops background work (physical compaction) before the database closes. */
    close(): Promise<void>;
    /** Bytes of the live keys and values (not history): a cheap stand-in for etcd's dbSize. */
    approximateBytes(): number;
    /** CRC-32 of the latest state (every live key's key, value, revisions, version, lease). */
    hashKV(): number;
    /**
     * Streams the whole KV keyspace (history included) from a LevelDB iterator, i.e. from an
     * implicit snapshot, in chunks of about 64 KiB (snapshot-format.ts). The stream carries its own
     * applied index and revision, those of the LevelDB state when the iterator opened: at least
     * appliedIndex at the time of the call.
     */
    exportSnapshot(): AsyncGenerator<Buffer, void, undefined>;
    /**
     * Replaces the whole KV state with a snapshot stream, in bounded batches, then rebuilds the
     * in-memory index. `appliedIndex` is the Raft snapshot's index (0: unchecked): the stream must
     * hold at least that much (its own applied index, which becomes appliedIndex, may be higher: entries up to it
     * are then skipped by apply()). The result is synced to disk before this resolves, so the Raft
     * log before the snapshot may be dropped. If it throws, the store is unusable until an import
     * succeeds (and a restart finds `incompleteImport`).
     */
    importSnapshot(chunks: AsyncIterable<Uint8Array>, appliedIndex?: number): Promise<void>;
    /**
     * Makes everything applied so far durable (a synced LevelDB write flushes the log before it).
     * Call before dropping Raft log entries that are only applied, not snapshotted elsewhere.
     */
    persist(): Promise<void>;
}
export {};
