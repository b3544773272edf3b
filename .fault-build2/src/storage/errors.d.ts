export type StorageErrorCode = 
/** The data dir belongs to another member or cluster (name / cluster ID / member ID differ). */
"RAFTKV_DATA_DIR_MISMATCH"
/** `create: false` and there is no data dir. */
 | "RAFTKV_DATA_DIR_NOT_FOUND"
/** Another process (or another open handle in this process) holds the LevelDB lock. */
 | "RAFTKV_DATA_DIR_LOCKED"
/** A checksum failed, the log has a gap, a record does not decode, LevelDB reports corruption. */
 | "RAFTKV_CORRUPT_STORE"
/** A snapshot file is truncated, corrupt or not a snapshot file. */
 | "RAFTKV_CORRUPT_SNAPSHOT"
/** A write or read failed (ENOSPC, EIO, LevelDB IO error). Nothing in the failed write may be
 *  acknowledged; the store refuses further writes until it is reopened. */
 | "RAFTKV_STORAGE_IO"
/** The store was closed. */
 | "RAFTKV_STORE_CLOSED";
export declare class StorageError extends Error {
    readonly code: StorageErrorCode;
    constructor(code: StorageErrorCode, message: string, options?: {
        cause?: unknown;
    });
}
/** The `code` of an error thrown by LevelDB (classic-level) or by Node's fs, if any. */
export declare function errorCode(err: unknown): string | undefined;
export declare function errorMessage(err: unknown): string;
/**
 * Wrap an error from LevelDB or fs into a StorageError that names `where` (the data dir or file).
 * Corruption reported by LevelDB becomes RAFTKV_CORRUPT_STORE, a held lock RAFTKV_DATA_DIR_LOCKED,
 * anything else RAFTKV_STORAGE_IO. A StorageError passes through unchanged.
 */
export declare function wrapLevelError(err: unknown, where: string, doing: string): StorageError;
/**
 * Like wrapLevelError, for reads of a store that exists (open, load). LevelDB reports a truncated
 * table file as "IO error: <file>: Invalid argument" and a missing MANIFEST (or a CURRENT file
 * naming garbage) as "IO error: <file>: No such file or directory": the store is damaged, not the
 * device, so those are RAFTKV_CORRUPT_STORE. Other I/O errors (EIO, EACCES, EMFILE) stay I/O errors.
 * `location` (e.g. the table files holding the key being read) is added to the message.
 */
export declare function wrapLevelReadError(err: unknown, where: string, doing: string, location?: string): StorageError;
