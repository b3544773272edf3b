// The error catalogue of the storage layer. Expected failures (a corrupt store, a full disk, a data
// dir that belongs to another member) are StorageErrors with stable codes; argument mistakes by the
// caller are TypeErrors; an out-of-date snapshot is the core's RaftError("RAFTKV_SNAPSHOT_OUT_OF_DATE").
export class StorageError extends Error {
    code;
    constructor(code, message, options) {
        super(message, options);
        this.name = "StorageError";
        this.code = code;
    }
}
/** The `code` of an error thrown by LevelDB (classic-level) or by Node's fs, if any. */
export function errorCode(err) {
    if (typeof err !== "object" || err === null)
        return undefined;
    const code = err.code;
    return typeof code === "string" ? code : undefined;
}
export function errorMessage(err) {
    return err instanceof Error ? err.message : String(err);
}
/** The message of a LevelDB / fs error, with the native cause abstract-level wraps on open. */
function levelDetail(err) {
    const cause = err?.cause;
    return errorCode(cause) !== undefined ? `${errorMessage(err)}: ${errorMessage(cause)}` : errorMessage(err);
}
function levelCodes(err) {
    return [errorCode(err), errorCode(err?.cause)];
}
/**
 * Wrap an error from LevelDB or fs into a StorageError that names `where` (the data dir or file).
 * Corruption reported by LevelDB becomes RAFTKV_CORRUPT_STORE, a held lock RAFTKV_DATA_DIR_LOCKED,
 * anything else RAFTKV_STORAGE_IO. A StorageError passes through unchanged.
 */
export function wrapLevelError(err, where, doing) {
    if (err instanceof StorageError)
        return err;
    const codes = levelCodes(err);
    const detail = levelDetail(err);
    if (codes.includes("LEVEL_CORRUPTION")) {
        return new StorageError("RAFTKV_CORRUPT_STORE", `corrupt store ${where}: ${doing}: ${detail}`, {
            cause: err,
        });
    }
    if (codes.includes("LEVEL_LOCKED")) {
        return new StorageError("RAFTKV_DATA_DIR_LOCKED", `data dir ${where} is in use: ${detail}`, {
            cause: err,
        });
    }
    return new StorageError("RAFTKV_STORAGE_IO", `storage I/O failed on ${where}: ${doing}: ${detail}`, {
        cause: err,
    });
}
/**
 * Like wrapLevelError, for reads of a store that exists (open, load). LevelDB reports a truncated
 * table file as "IO error: <file>: Invalid argument" and a missing MANIFEST (or a CURRENT file
 * naming garbage) as "IO error: <file>: No such file or directory": the store is damaged, not the
 * device, so those are RAFTKV_CORRUPT_STORE. Other I/O errors (EIO, EACCES, EMFILE) stay I/O errors.
 * `location` (e.g. the table files holding the key being read) is added to the message.
 */
export function wrapLevelReadError(err, where, doing, location) {
    if (err instanceof StorageError)
        return err;
    const wrapped = wrapLevelError(err, where, doing);
    const detail = levelDetail(err);
    const at = location === undefined ? "" : ` (${location})`;
    if (wrapped.code === "RAFTKV_CORRUPT_STORE") {
        return new StorageError("RAFTKV_CORRUPT_STORE", `${wrapped.message}${at}`, { cause: err });
    }
    if (wrapped.code === "RAFTKV_STORAGE_IO" &&
        levelCodes(err).includes("LEVEL_IO_ERROR") &&
        /: (Invalid argument|No such file or directory)\b/.test(detail)) {
        return new StorageError("RAFTKV_CORRUPT_STORE", `corrupt store ${where}: ${doing}: a LevelDB file is truncated or missing: ${detail}${at}`, { cause: err });
    }
    return wrapped;
}
//# sourceMappingURL=errors.js.map