// The public surface of the client API: the gRPC server, the HTTP endpoint, the backend interface
// the node implements, and the error catalogue.
export { INTERNAL_STATUS, NodeError, NodeUnavailableError, REQUEST_TOO_LARGE, STATUS_BY_CODE, statusOf, } from "./errors.js";
export { notReadyReason, startHttpServer } from "./http.js";
export { parseListen } from "./listen.js";
export { apiServices } from "./proto.js";
export { DEFAULT_MAX_REQUEST_BYTES, GRPC_OVERHEAD_BYTES, startClientServer, } from "./server.js";
//# sourceMappingURL=index.js.map