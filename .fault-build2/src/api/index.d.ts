export type { ApiBackend, KvReader, Member, NodeStatus, ProposalKind } from "./backend.js";
export { type ApiStatus, INTERNAL_STATUS, NodeError, type NodeErrorCode, NodeUnavailableError, REQUEST_TOO_LARGE, STATUS_BY_CODE, statusOf, } from "./errors.js";
export { type HttpServer, type HttpServerOptions, notReadyReason, startHttpServer } from "./http.js";
export { type ListenAddress, parseListen } from "./listen.js";
export { type ApiServices, apiServices } from "./proto.js";
export { type ClientServer, type ClientServerOptions, DEFAULT_MAX_REQUEST_BYTES, GRPC_OVERHEAD_BYTES, startClientServer, } from "./server.js";
export type * from "./wire.js";
