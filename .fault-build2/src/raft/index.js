// The public surface of the Raft core.
export { bootstrap, decodeConfChange, encodeConfChange } from "./confchange.js";
export { AssertionError, CompactedError, RaftError, UnavailableError } from "./errors.js";
export { hasMajority, majorityCommitIndex, majoritySize, voteResult } from "./quorum.js";
export { Raft } from "./raft.js";
export { EMPTY_CONF_STATE, entryBytes, MemoryStorage } from "./storage.js";
export * from "./types.js";
//# sourceMappingURL=index.js.map