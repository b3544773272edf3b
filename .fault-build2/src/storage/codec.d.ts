import type { Entry, HardState, SnapshotMeta } from "../raft/types.js";
export declare const FORMAT_VERSION = 1;
export declare const KEY_IDENTITY: Buffer;
export declare const KEY_HARD_STATE: Buffer;
export declare const KEY_SNAPSHOT_META: Buffer;
export declare const KEY_LOG_START: Buffer;
export declare const ENTRY_KEY_PREFIX = 2;
export declare const ENTRY_KEY_BYTES = 9;
/** Lower and upper bounds of the entry keyspace, for iterators (`gte` / `lt`). */
export declare const ENTRY_KEY_MIN: Buffer;
export declare const ENTRY_KEY_END: Buffer;
/** A record that does not decode; the store turns it into a StorageError naming the record. */
export declare class DecodeError extends Error {
    constructor(message: string);
}
export interface LogStart {
    /** Index and term of the last entry no longer stored (0, 0 for a log that starts at 1). */
    readonly index: number;
    readonly term: number;
}
export interface StoredIdentity {
    readonly formatVersion: number;
    readonly name: string;
    readonly clusterId: number;
    readonly memberId: number;
}
export declare function entryKey(index: number): Buffer;
export declare function isEntryKey(key: Buffer): boolean;
export declare function entryKeyIndex(key: Buffer): number;
/** Encode an entry as [key, value]. Hot path: one allocation per key and per value. */
export declare function encodeEntry(entry: Entry): [Buffer, Buffer];
/** Decode and verify an entry. `data` is a view into `value` (no copy). */
export declare function decodeEntry(key: Buffer, value: Buffer): Entry;
export declare function encodeHardState(hs: HardState): Buffer;
export declare function decodeHardState(value: Buffer): HardState;
export declare function encodeLogStart(start: LogStart): Buffer;
export declare function decodeLogStart(value: Buffer): LogStart;
export declare function encodeSnapshotMeta(meta: SnapshotMeta): Buffer;
export declare function decodeSnapshotMeta(value: Buffer): SnapshotMeta;
export declare function encodeIdentity(identity: StoredIdentity): Buffer;
export declare function decodeIdentity(value: Buffer): StoredIdentity;
