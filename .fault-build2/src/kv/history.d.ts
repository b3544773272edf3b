import type { KeyValue } from "./types.js";
/** The part of an abstract-level database the history reads use. */
export interface HistoryDatabase {
    get(key: Buffer): Promise<Buffer | undefined>;
    iterator(options: {
        gte?: Buffer;
        lt?: Buffer;
        reverse?: boolean;
        limit?: number;
        keyEncoding?: "buffer";
        valueEncoding?: "buffer";
    }): {
        nextv(size: number): Promise<[Buffer, Buffer][]>;
        close(): Promise<void>;
    };
}
/** One version as written: a put (kv is the new version) or a tombstone (kv has key and modRevision). */
export interface HistoryRecord {
    readonly main: number;
    readonly sub: number;
    readonly kv: KeyValue;
    readonly tombstone: boolean;
}
export interface HistorySlice {
    readonly records: HistoryRecord[];
    /** Every revision up to this one (inclusive) is in `records`; the next read starts after it. */
    readonly through: number;
}
/**
 * The records of revisions [from, to], in revision order. Stops once it holds at least
 * `maxRecords`, at the end of a revision (a revision is never split), and says how far it got.
 */
export declare function readRevisions(db: HistoryDatabase, from: number, to: number, maxRecords: number): Promise<HistorySlice>;
/**
 * The version of `key` live just before revision (main, sub): null when the key did not exist
 * then, or when that version was compacted away.
 */
export declare function previousVersion(db: HistoryDatabase, key: Buffer, main: number, sub: number): Promise<KeyValue | null>;
