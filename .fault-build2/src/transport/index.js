// The peer transport's public surface: GrpcTransport carries the Raft core's messages between
// members (proto/raftkv/raft/v1/raft.proto). Limits, all enforced:
// - a peer server accepts gRPC messages up to MAX_RECEIVE_MESSAGE_BYTES (16 MiB); larger ones
//   are refused by grpc-js with RESOURCE_EXHAUSTED, and a sender drops (and counts) a message
//   that could not fit;
// - per peer: maxQueuedMessagesPerPeer (4096) and maxQueuedBytesPerPeer (64 MiB) waiting,
//   maxInFlightBytesPerPeer (4 MiB) written but not flushed, batches of maxBatchBytes (1 MiB);
// - snapshots travel in SNAPSHOT_CHUNK_BYTES (256 KiB) chunks, at most 1 MiB unflushed.
export { hexId, TRANSPORT_ERROR_STATUS, TransportError } from "./errors.js";
export { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER, DEFAULT_MAX_QUEUED_BYTES_PER_PEER, DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER, GrpcTransport, MAX_RECEIVE_MESSAGE_BYTES, SNAPSHOT_CHUNK_BYTES, } from "./transport.js";
export { DEFAULT_PEER_PORT, parsePeerUrl } from "./url.js";
//# sourceMappingURL=index.js.map