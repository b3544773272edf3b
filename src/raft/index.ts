// The public surface of the Raft core.

export { bootstrap, decodeConfChange, encodeConfChange } from "./confchange.js";
export { AssertionError, CompactedError, RaftError, type RaftErrorCode, UnavailableError } from "./errors.js";
export { idHex } from "./id-format.js";
export { hasMajority, majorityCommitIndex, majoritySize, type VoteResult, voteResult } from "./quorum.js";
export { type PlantedBugs, Raft, type RaftConfig } from "./raft.js";
export { EMPTY_CONF_STATE, entryBytes, MemoryStorage, type Storage } from "./storage.js";
export * from "./types.js";
