// The transport's error catalogue: stable codes, the gRPC status each maps to, one table.
import { status as GrpcStatus, Metadata } from "@grpc/grpc-js";
export const TRANSPORT_ERROR_STATUS = {
    RAFTKV_WRONG_CLUSTER: GrpcStatus.FAILED_PRECONDITION,
    RAFTKV_UNKNOWN_MEMBER: GrpcStatus.FAILED_PRECONDITION,
    RAFTKV_WRONG_MEMBER: GrpcStatus.FAILED_PRECONDITION,
    RAFTKV_MALFORMED_MESSAGE: GrpcStatus.INVALID_ARGUMENT,
    RAFTKV_SNAPSHOT_TRUNCATED: GrpcStatus.ABORTED,
    RAFTKV_SNAPSHOT_FAILED: GrpcStatus.INTERNAL,
    RAFTKV_PEER_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
    RAFTKV_TRANSPORT_CLOSED: GrpcStatus.UNAVAILABLE,
};
/** The trailer that carries the code across the wire, so the caller gets the same code. */
export const ERROR_CODE_METADATA_KEY = "raftkv-error-code";
export class TransportError extends Error {
    code;
    constructor(code, message, options) {
        super(message, options);
        this.name = "TransportError";
        this.code = code;
    }
    /** The status a server handler answers with. */
    toStatus() {
        const metadata = new Metadata();
        metadata.set(ERROR_CODE_METADATA_KEY, this.code);
        return { code: TRANSPORT_ERROR_STATUS[this.code], details: this.message, metadata };
    }
}
function isTransportErrorCode(value) {
    return typeof value === "string" && Object.hasOwn(TRANSPORT_ERROR_STATUS, value);
}
/** Rebuilds a TransportError from a failed call's error (grpc-js ServiceError). */
export function fromServiceError(err) {
    const e = err;
    const carried = e.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
    const code = isTransportErrorCode(carried) ? carried : "RAFTKV_PEER_UNAVAILABLE";
    return new TransportError(code, e.details || e.message || String(err), { cause: err });
}
/** Member and cluster IDs print in hex, as etcd prints them. */
export function hexId(id) {
    return `0x${id.toString(16)}`;
}
//# sourceMappingURL=errors.js.map