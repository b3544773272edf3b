/** Largest frame payload; larger chunks are split. */
export declare const FRAME_BYTES_MAX: number;
export declare function snapshotFileName(index: number): string;
export interface SnapshotFileInfo {
    readonly index: number;
    /** Bytes of snapshot data (without framing). */
    readonly payloadBytes: number;
    readonly frames: number;
}
/** Stream `chunks` to `<dir>/<index>.snap` (temp file, fsync, rename, fsync dir); returns the path. */
export declare function writeSnapshotFile(dir: string, index: number, chunks: AsyncIterable<Uint8Array>): Promise<string>;
/** Check a snapshot file's header and trailer (not its frames); returns what they say. */
export declare function snapshotFileInfo(path: string): Promise<SnapshotFileInfo>;
/**
 * The snapshot data of a file, one verified frame (<= FRAME_BYTES_MAX) at a time. Throws
 * RAFTKV_CORRUPT_SNAPSHOT before yielding anything when the file is truncated, and at the frame
 * (or at the end) where a checksum fails.
 */
export declare function readSnapshotFile(path: string): AsyncGenerator<Buffer, void, undefined>;
/** Remove temp files left in the snap dir by writes interrupted by a crash. */
export declare function removeSnapshotTemps(dir: string): Promise<number>;
