export declare const SNAPSHOT_MAGIC: Buffer<ArrayBuffer>;
export declare const SNAPSHOT_VERSION = 1;
export declare const SNAPSHOT_CHUNK_BYTES: number;
/** Frames entries and cuts the bytes into chunks; holds at most one entry plus one chunk. */
export declare class SnapshotWriter {
    #private;
    constructor();
    /** Adds one entry; returns the chunks now complete. */
    add(key: Buffer, value: Buffer): Buffer[];
    /** Writes the trailer; returns the last chunks. */
    finish(): Buffer[];
}
/**
 * Reads a snapshot stream, handing each entry to `onEntry` (awaited: back-pressure), and checks
 * the trailer. Throws on a truncated, corrupt or foreign stream — after having handed out the
 * entries before the damage, so the importer must treat a throw as "store unusable".
 */
export declare function readSnapshot(chunks: AsyncIterable<Uint8Array>, onEntry: (key: Buffer, value: Buffer) => void | Promise<void>): Promise<{
    entries: number;
}>;
