import type { KeyValue } from "./types.js";
export declare const LAYOUT_VERSION = 1;
export declare const META_FORMAT: Buffer<ArrayBufferLike>;
export declare const META_APPLIED: Buffer<ArrayBufferLike>;
export declare const META_REVISION: Buffer<ArrayBufferLike>;
export declare const META_COMPACTED: Buffer<ArrayBufferLike>;
export declare const META_IMPORTING: Buffer<ArrayBufferLike>;
export declare const META_SYNC: Buffer<ArrayBufferLike>;
export declare const META_COMPACT_DONE: Buffer<ArrayBufferLike>;
/** Bounds (gte, lt) of whole keyspaces. */
export declare const LATEST_RANGE: {
    gte: Buffer<ArrayBuffer>;
    lt: Buffer<ArrayBuffer>;
};
export declare const HISTORY_RANGE: {
    gte: Buffer<ArrayBuffer>;
    lt: Buffer<ArrayBuffer>;
};
export declare const REVISION_RANGE: {
    gte: Buffer<ArrayBuffer>;
    lt: Buffer<ArrayBuffer>;
};
export declare const MEMBER_RANGE: {
    gte: Buffer<ArrayBuffer>;
    lt: Buffer<ArrayBuffer>;
};
export declare const LEASE_RANGE: {
    gte: Buffer<ArrayBuffer>;
    lt: Buffer<ArrayBuffer>;
};
export declare const REVISION_BYTES = 12;
/** True if a LevelDB key belongs to layout v1 (snapshot import checks every key). */
export declare function isLayoutKey(key: Uint8Array): boolean;
export declare function writeU64(buf: Buffer, value: number, offset: number): void;
export declare function readU64(buf: Uint8Array, offset: number): number;
export declare function u64Bytes(value: number): Buffer;
/** main + sub, 12 bytes: the value of a "k" entry and the suffix of "r" and "h" keys. */
export declare function revisionBytes(main: number, sub: number): Buffer;
export declare function revisionKey(main: number, sub: number): Buffer;
/** The "r" key a 12-byte revision (a "k" value, an "h" suffix) points to. */
export declare function revisionKeyOf(revision: Uint8Array): Buffer;
export declare function parseRevisionKey(key: Uint8Array): {
    main: number;
    sub: number;
};
export declare function memberKey(id: number): Buffer;
export declare function leaseKey(id: number): Buffer;
export declare function latestKey(key: Uint8Array): Buffer;
/** "h" + esc(key) + 00 00: every history entry of key starts with it, nothing else does. */
export declare function historyPrefix(key: Uint8Array): Buffer;
export declare function historyKey(key: Uint8Array, main: number, sub: number): Buffer;
/** The key bytes of an "h" entry (escaped, with terminator) and its revision. */
export declare function splitHistoryKey(entry: Buffer): {
    prefix: Buffer;
    main: number;
    sub: number;
};
export declare const HISTORY_PUT: Buffer<ArrayBuffer>;
export declare const HISTORY_TOMBSTONE: Buffer<ArrayBuffer>;
export declare function encodeRecord(kv: KeyValue, tombstone: boolean): Buffer;
/** Decodes a record. key and value are views into `buf`. */
export declare function decodeRecord(buf: Buffer): {
    kv: KeyValue;
    tombstone: boolean;
};
