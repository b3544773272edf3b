import { status } from "@grpc/grpc-js";
/** Codes of the failures the node layer reports through ApiBackend (and a few raised here). */
export type NodeErrorCode = "RAFTKV_NO_LEADER" | "RAFTKV_NOT_LEADER" | "RAFTKV_LEADER_CHANGED" | "RAFTKV_TIMEOUT" | "RAFTKV_TIMEOUT_LEADER_FAIL" | "RAFTKV_TOO_MANY_REQUESTS" | "RAFTKV_STOPPING" | "RAFTKV_BAD_LEADER_TRANSFEREE" | "RAFTKV_LEARNER_NOT_SUPPORTED" | "RAFTKV_MEMBER_NOT_FOUND" | "RAFTKV_UNHEALTHY" | "RAFTKV_CORRUPT" | "RAFTKV_MEMBER_BAD_URLS" | "RAFTKV_PEER_URL_EXISTS" | "RAFTKV_MEMBER_NOT_LEARNER" | "RAFTKV_LEARNER_NOT_READY" | "RAFTKV_TOO_MANY_LEARNERS";
/**
 * An expected failure of the node: no leader, timed out, overloaded, stopping. Thrown (or rejected
 * with) by ApiBackend implementations; the API maps `code` to a gRPC status through STATUS_BY_CODE.
 */
export declare class NodeError extends Error {
    readonly code: NodeErrorCode;
    constructor(code: NodeErrorCode, message?: string, options?: {
        cause?: unknown;
    });
}
/** The name the issue gave the node's error class; the same class as NodeError. */
export declare const NodeUnavailableError: typeof NodeError;
export type NodeUnavailableError = NodeError;
/** A gRPC status as grpc-js callbacks take it. */
export interface ApiStatus {
    readonly code: status;
    readonly details: string;
}
/**
 * THE table: every stable error code a handler can meet, ours and the Raft core's (matched by the
 * `code` string so the API needs no import of the core), to etcd's status. A KvError (src/kv)
 * carries its own grpcCode and etcd message and needs no row.
 */
export declare const STATUS_BY_CODE: Readonly<Record<NodeErrorCode, ApiStatus>> & Readonly<Record<string, ApiStatus>>;
export declare const INTERNAL_STATUS: ApiStatus;
/** A request over maxRequestBytes, rejected before it is decoded (the KvError's status). */
export declare const REQUEST_TOO_LARGE: ApiStatus;
/**
 * Maps any thrown value to the status sent to the client. Returns undefined for an error nobody
 * expected (a bug or an unknown failure): the caller logs it and sends INTERNAL_STATUS, so
 * internals never leak to clients.
 */
export declare function statusOf(error: unknown): ApiStatus | undefined;
/** A status for a method raftkv does not serve yet; the message names it. */
export declare function unimplemented(method: string): ApiStatus;
