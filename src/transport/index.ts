// The peer transport's public surface: GrpcTransport carries the Raft core's messages between
// members (proto/raftkv/raft/v1/raft.proto). Limits, all enforced:
// - a peer server accepts gRPC messages up to MAX_RECEIVE_MESSAGE_BYTES (16 MiB); larger ones
//   are refused by grpc-js with RESOURCE_EXHAUSTED, and a sender drops (and counts) a message
//   that could not fit;
// - per peer: maxQueuedMessagesPerPeer (4096) and maxQueuedBytesPerPeer (64 MiB) waiting,
//   maxInFlightBytesPerPeer (4 MiB) written but not flushed, batches of maxBatchBytes (1 MiB);
// - snapshots travel in SNAPSHOT_CHUNK_BYTES (256 KiB) chunks, at most 1 MiB unflushed.

export type { ProbeResponse } from "./codec.js";
export {
  hexId,
  MEMBER_REMOVED_MESSAGE,
  TRANSPORT_ERROR_STATUS,
  TransportError,
  type TransportErrorCode,
} from "./errors.js";
export type { Logger } from "./log.js";
export type { PeerState, PeerStats } from "./peer.js";
export {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER,
  DEFAULT_MAX_QUEUED_BYTES_PER_PEER,
  DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER,
  GrpcTransport,
  type GrpcTransportOptions,
  MAX_RECEIVE_MESSAGE_BYTES,
  type ProbeOptions,
  SNAPSHOT_CHUNK_BYTES,
  type TransportStats,
  type TransportTlsOptions,
} from "./transport.js";
export { DEFAULT_PEER_PORT, type PeerAddress, parsePeerUrl } from "./url.js";
