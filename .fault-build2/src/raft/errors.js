// The error catalogue of the Raft core. Expected failures are typed errors with stable codes;
// broken invariants are AssertionErrors (a bug: crash).
export class RaftError extends Error {
    code;
    constructor(code, message, options) {
        super(message, options);
        this.name = "RaftError";
        this.code = code;
    }
}
/** The requested index is behind the first index of the log (compacted into a snapshot). */
export class CompactedError extends RaftError {
    constructor(index, firstIndex) {
        super("RAFTKV_COMPACTED", `index ${index} is compacted (first index ${firstIndex})`);
    }
}
/** The requested index is beyond the last index of the log. */
export class UnavailableError extends RaftError {
    constructor(index, lastIndex) {
        super("RAFTKV_UNAVAILABLE", `index ${index} is unavailable (last index ${lastIndex})`);
    }
}
export class AssertionError extends Error {
    constructor(message) {
        super(`raft invariant broken: ${message}`);
        this.name = "AssertionError";
    }
}
export function assert(condition, message) {
    if (!condition)
        throw new AssertionError(message);
}
//# sourceMappingURL=errors.js.map