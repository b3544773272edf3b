import { status as GrpcStatus, Metadata } from "@grpc/grpc-js";
export type TransportErrorCode = 
/** The other side belongs to another cluster. */
"RAFTKV_WRONG_CLUSTER"
/** The sender is not in the receiver's peer map (not a member, or removed). */
 | "RAFTKV_UNKNOWN_MEMBER"
/** The message was addressed to another member than the one that received it. */
 | "RAFTKV_WRONG_MEMBER"
/** Bytes that do not decode as the contract says, or fields out of range. */
 | "RAFTKV_MALFORMED_MESSAGE"
/** A snapshot stream ended before its last chunk. */
 | "RAFTKV_SNAPSHOT_TRUNCATED"
/** The receiver failed to store a snapshot. */
 | "RAFTKV_SNAPSHOT_FAILED"
/** The peer could not be reached, or the call failed in transit. */
 | "RAFTKV_PEER_UNAVAILABLE"
/** The transport is closed. */
 | "RAFTKV_TRANSPORT_CLOSED";
export declare const TRANSPORT_ERROR_STATUS: Readonly<Record<TransportErrorCode, GrpcStatus>>;
/** The trailer that carries the code across the wire, so the caller gets the same code. */
export declare const ERROR_CODE_METADATA_KEY = "raftkv-error-code";
export declare class TransportError extends Error {
    readonly code: TransportErrorCode;
    constructor(code: TransportErrorCode, message: string, options?: {
        cause?: unknown;
    });
    /** The status a server handler answers with. */
    toStatus(): {
        code: GrpcStatus;
        details: string;
        metadata: Metadata;
    };
}
/** Rebuilds a TransportError from a failed call's error (grpc-js ServiceError). */
export declare function fromServiceError(err: unknown): TransportError;
/** Member and cluster IDs print in hex, as etcd prints them. */
export declare function hexId(id: number): string;
