// The transport's error catalogue: stable codes, the gRPC status each maps to, one table.

import { status as GrpcStatus, Metadata } from "@grpc/grpc-js";
import { idHex } from "../raft/id-format.js";

export type TransportErrorCode =
  /** The other side belongs to another cluster. */
  | "RAFTKV_WRONG_CLUSTER"
  /** The sender is not in the receiver's peer map (not a member, or removed). */
  | "RAFTKV_UNKNOWN_MEMBER"
  /** The sender was removed from the cluster: it must stop (etcd's ErrMemberRemoved). */
  | "RAFTKV_MEMBER_REMOVED"
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

export const TRANSPORT_ERROR_STATUS: Readonly<Record<TransportErrorCode, GrpcStatus>> = {
  RAFTKV_WRONG_CLUSTER: GrpcStatus.FAILED_PRECONDITION,
  RAFTKV_UNKNOWN_MEMBER: GrpcStatus.FAILED_PRECONDITION,
  RAFTKV_MEMBER_REMOVED: GrpcStatus.FAILED_PRECONDITION,
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
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
  }

  /** The status a server handler answers with. */
  toStatus(): { code: GrpcStatus; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    metadata.set(ERROR_CODE_METADATA_KEY, this.code);
    return { code: TRANSPORT_ERROR_STATUS[this.code], details: this.message, metadata };
  }
}

function isTransportErrorCode(value: unknown): value is TransportErrorCode {
  return typeof value === "string" && Object.hasOwn(TRANSPORT_ERROR_STATUS, value);
}

/** Rebuilds a TransportError from a failed call's error (grpc-js ServiceError). */
export function fromServiceError(err: unknown): TransportError {
  const e = err as { code?: number; details?: string; message?: string; metadata?: Metadata };
  const carried = e.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  const code: TransportErrorCode = isTransportErrorCode(carried) ? carried : "RAFTKV_PEER_UNAVAILABLE";
  return new TransportError(code, e.details || e.message || String(err), { cause: err });
}

/** Member and cluster IDs print in hex, as etcd prints them: 16 digits (../raft/id-format.ts). */
export function hexId(id: number): string {
  return idHex(id);
}

/** etcd's message for a member that was removed (ErrMemberRemoved). */
export const MEMBER_REMOVED_MESSAGE = "the member has been permanently removed from the cluster";
