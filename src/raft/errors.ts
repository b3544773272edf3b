// The error catalogue of the Raft core. Expected failures are typed errors with stable codes;
// broken invariants are AssertionErrors (a bug: crash).

export type RaftErrorCode =
  | "RAFTKV_COMPACTED"
  | "RAFTKV_UNAVAILABLE"
  | "RAFTKV_SNAPSHOT_OUT_OF_DATE"
  | "RAFTKV_PROPOSAL_DROPPED"
  | "RAFTKV_NOT_LEADER"
  | "RAFTKV_TRANSFER_IN_PROGRESS"
  | "RAFTKV_TOO_MANY_UNCOMMITTED"
  | "RAFTKV_CONF_CHANGE_PENDING"
  | "RAFTKV_BAD_CONF_CHANGE";

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  constructor(code: RaftErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RaftError";
    this.code = code;
  }
}

/** The requested index is behind the first index of the log (compacted into a snapshot). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super("RAFTKV_COMPACTED", `index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The requested index is beyond the last index of the log. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super("RAFTKV_UNAVAILABLE", `index ${index} is unavailable (last index ${lastIndex})`);
  }
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(`raft invariant broken: ${message}`);
    this.name = "AssertionError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
