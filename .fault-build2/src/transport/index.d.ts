export type { ProbeResponse } from "./codec.js";
export { hexId, TRANSPORT_ERROR_STATUS, TransportError, type TransportErrorCode } from "./errors.js";
export type { Logger } from "./log.js";
export type { PeerState, PeerStats } from "./peer.js";
export { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER, DEFAULT_MAX_QUEUED_BYTES_PER_PEER, DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER, GrpcTransport, type GrpcTransportOptions, MAX_RECEIVE_MESSAGE_BYTES, type ProbeOptions, SNAPSHOT_CHUNK_BYTES, type TransportStats, type TransportTlsOptions, } from "./transport.js";
export { DEFAULT_PEER_PORT, type PeerAddress, parsePeerUrl } from "./url.js";
