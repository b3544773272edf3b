// The public surface of the KV state machine.

export {
  COMMAND_FORMAT_VERSION,
  COMMAND_HEADER_BYTES,
  type Command,
  type CommandKind,
  type CommandRequests,
  decodeCommand,
  encodeCommand,
  encodeCommandFromBytes,
  KIND_CODES,
  nodeIdHash,
  type RequestId,
  RequestIdSource,
  readCommandHeader,
} from "./command.js";
export { GrpcStatus, isKvError, KvError, type KvErrorCode, kvErrorInfo } from "./errors.js";
export type { HistoryRecord, HistorySlice } from "./history.js";
export { type Lease, type LeaseChanges, MAX_LEASE_TTL_SECONDS } from "./lease.js";
export { type MemberRecordSource, readMemberRecords } from "./member-records.js";
export {
  type AppliedBatch,
  type BatchOp,
  type CommittedEntry,
  DEFAULT_VALUE_CACHE_BYTES,
  ImportStoppedError,
  type KvDatabase,
  type KvMemoryStats,
  type KvResult,
  KvStateMachine,
  type KvStateMachineOptions,
  type MemberUpdate,
} from "./mvcc.js";
export { ETCD_PROTO_FILES, etcdRoot, PROTO_DIR } from "./proto.js";
export { SNAPSHOT_CHUNK_BYTES } from "./snapshot-format.js";
export * from "./types.js";
export {
  DEFAULT_KV_LIMITS,
  type KvLimits,
  validateDeleteRange,
  validatePut,
  validateRange,
  validateTxn,
} from "./validate.js";
export {
  Watcher,
  WatchHub,
  type WatchHubOptions,
  type WatchSink,
  type WatchSource,
  type WatchSpec,
} from "./watch.js";
