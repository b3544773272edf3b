export type RaftErrorCode = "RAFTKV_COMPACTED" | "RAFTKV_UNAVAILABLE" | "RAFTKV_SNAPSHOT_OUT_OF_DATE" | "RAFTKV_PROPOSAL_DROPPED" | "RAFTKV_NOT_LEADER" | "RAFTKV_TRANSFER_IN_PROGRESS" | "RAFTKV_TOO_MANY_UNCOMMITTED" | "RAFTKV_CONF_CHANGE_PENDING" | "RAFTKV_BAD_CONF_CHANGE";
export declare class RaftError extends Error {
    readonly code: RaftErrorCode;
    constructor(code: RaftErrorCode, message: string, options?: {
        cause?: unknown;
    });
}
/** The requested index is behind the first index of the log (compacted into a snapshot). */
export declare class CompactedError extends RaftError {
    constructor(index: number, firstIndex: number);
}
/** The requested index is beyond the last index of the log. */
export declare class UnavailableError extends RaftError {
    constructor(index: number, lastIndex: number);
}
export declare class AssertionError extends Error {
    constructor(message: string);
}
export declare function assert(condition: unknown, message: string): asserts condition;
