// The public surface of the KV state machine.
export { COMMAND_FORMAT_VERSION, COMMAND_HEADER_BYTES, decodeCommand, encodeCommand, encodeCommandFromBytes, KIND_CODES, nodeIdHash, RequestIdSource, readCommandHeader, } from "./command.js";
export { GrpcStatus, isKvError, KvError, kvErrorInfo } from "./errors.js";
export { KvStateMachine, } from "./mvcc.js";
export { ETCD_PROTO_FILES, etcdRoot, PROTO_DIR } from "./proto.js";
export { SNAPSHOT_CHUNK_BYTES } from "./snapshot-format.js";
export * from "./types.js";
export { DEFAULT_KV_LIMITS, validateDeleteRange, validatePut, validateRange, validateTxn, } from "./validate.js";
//# sourceMappingURL=index.js.map