// The errors of the client API, and the one table that maps every error a handler can meet to the
// gRPC status an etcd client expects.
//
// Messages and codes are etcd's (api/v3rpc/rpctypes/error.go): clientv3 and etcdctl compare the
// message text to recognise an error (rpctypes.Error), and retry on UNAVAILABLE.

import { status } from "@grpc/grpc-js";
import { KvError, kvErrorInfo } from "../kv/errors.js";

/** Codes of the failures the node layer reports through ApiBackend (and a few raised here). */
export type NodeErrorCode =
  | "RAFTKV_NO_LEADER"
  | "RAFTKV_NOT_LEADER"
  | "RAFTKV_LEADER_CHANGED"
  | "RAFTKV_TIMEOUT"
  | "RAFTKV_TIMEOUT_LEADER_FAIL"
  | "RAFTKV_TOO_MANY_REQUESTS"
  | "RAFTKV_STOPPING"
  | "RAFTKV_BAD_LEADER_TRANSFEREE"
  | "RAFTKV_LEARNER_NOT_SUPPORTED"
  | "RAFTKV_MEMBER_NOT_FOUND"
  | "RAFTKV_UNHEALTHY"
  | "RAFTKV_CORRUPT"
  | "RAFTKV_MEMBER_BAD_URLS"
  | "RAFTKV_PEER_URL_EXISTS"
  | "RAFTKV_MEMBER_NOT_LEARNER"
  | "RAFTKV_LEARNER_NOT_READY"
  | "RAFTKV_TOO_MANY_LEARNERS"
  | "RAFTKV_DISK_FULL";

/**
 * An expected failure of the node: no leader, timed out, overloaded, stopping. Thrown (or rejected
 * with) by ApiBackend implementations; the API maps `code` to a gRPC status through STATUS_BY_CODE.
 */
export class NodeError extends Error {
  readonly code: NodeErrorCode;
  constructor(code: NodeErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? STATUS_BY_CODE[code].details, options);
    this.name = "NodeError";
    this.code = code;
  }
}

/** The name the issue gave the node's error class; the same class as NodeError. */
export const NodeUnavailableError = NodeError;
export type NodeUnavailableError = NodeError;

/** A gRPC status as grpc-js callbacks take it. */
export interface ApiStatus {
  readonly code: status;
  readonly details: string;
}

function entry(code: status, details: string): ApiStatus {
  return Object.freeze({ code, details });
}

const NO_LEADER = entry(status.UNAVAILABLE, "etcdserver: no leader");
const LEADER_CHANGED = entry(status.UNAVAILABLE, "etcdserver: leader changed");
const TIMEOUT = entry(status.UNAVAILABLE, "etcdserver: request timed out");
const TOO_MANY_REQUESTS = entry(status.RESOURCE_EXHAUSTED, "etcdserver: too many requests");

/**
 * THE table: every stable error code a handler can meet, ours and the Raft core's (matched by the
 * `code` string so the API needs no import of the core), to etcd's status. A KvError (src/kv)
 * carries its own grpcCode and etcd message and needs no row.
 */
export const STATUS_BY_CODE: Readonly<Record<NodeErrorCode, ApiStatus>> &
  Readonly<Record<string, ApiStatus>> = Object.freeze({
  RAFTKV_NO_LEADER: NO_LEADER,
  // A leader-only request (MoveLeader) sent to a follower: etcd's ErrNotLeader, not retryable on
  // the same member.
  RAFTKV_NOT_LEADER: entry(status.FAILED_PRECONDITION, "etcdserver: not leader"),
  // Leadership moved while the request waited: its outcome is unknown to this node, the client
  // may retry elsewhere.
  RAFTKV_LEADER_CHANGED: LEADER_CHANGED,
  RAFTKV_TIMEOUT: TIMEOUT,
  RAFTKV_TIMEOUT_LEADER_FAIL: entry(
    status.UNAVAILABLE,
    "etcdserver: request timed out, possibly due to previous leader failure",
  ),
  RAFTKV_TOO_MANY_REQUESTS: TOO_MANY_REQUESTS,
  RAFTKV_STOPPING: entry(status.UNAVAILABLE, "etcdserver: server stopped"),
  RAFTKV_BAD_LEADER_TRANSFEREE: entry(status.FAILED_PRECONDITION, "etcdserver: bad leader transferee"),
  RAFTKV_LEARNER_NOT_SUPPORTED: entry(status.UNAVAILABLE, "etcdserver: rpc not supported for learner"),
  RAFTKV_MEMBER_NOT_FOUND: entry(status.NOT_FOUND, "etcdserver: member not found"),
  RAFTKV_UNHEALTHY: entry(status.UNAVAILABLE, "etcdserver: unhealthy cluster"),
  RAFTKV_CORRUPT: entry(status.DATA_LOSS, "etcdserver: corrupt cluster"),
  // Membership changes (Cluster.MemberAdd / MemberRemove / MemberPromote).
  RAFTKV_MEMBER_BAD_URLS: entry(status.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"),
  RAFTKV_PEER_URL_EXISTS: entry(status.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"),
  RAFTKV_MEMBER_NOT_LEARNER: entry(
    status.FAILED_PRECONDITION,
    "etcdserver: can only promote a learner member",
  ),
  RAFTKV_LEARNER_NOT_READY: entry(
    status.FAILED_PRECONDITION,
    "etcdserver: can only promote a learner member which is in sync with leader",
  ),
  RAFTKV_TOO_MANY_LEARNERS: entry(
    status.FAILED_PRECONDITION,
    "etcdserver: too many learner members in cluster",
  ),
  // The member's disk is full (ENOSPC, not the backend quota): it holds its writes until space is
  // freed, and answers new ones at once. UNAVAILABLE: a client may go to another member.
  RAFTKV_DISK_FULL: entry(
    status.UNAVAILABLE,
    "raftkv: no space left on device: this member accepts no writes until space is freed on its data dir",
  ),
  // Raft core codes (src/raft/errors.ts) the node may pass through unchanged.
  RAFTKV_PROPOSAL_DROPPED: LEADER_CHANGED,
  RAFTKV_TRANSFER_IN_PROGRESS: LEADER_CHANGED,
  RAFTKV_TOO_MANY_UNCOMMITTED: TOO_MANY_REQUESTS,
});

export const INTERNAL_STATUS: ApiStatus = entry(status.INTERNAL, "etcdserver: internal error");

const tooLarge = kvErrorInfo("RAFTKV_REQUEST_TOO_LARGE");
/** A request over maxRequestBytes, rejected before it is decoded (the KvError's status). */
export const REQUEST_TOO_LARGE: ApiStatus = entry(tooLarge.grpcCode, tooLarge.message);

/**
 * Maps any thrown value to the status sent to the client. Returns undefined for an error nobody
 * expected (a bug or an unknown failure): the caller logs it and sends INTERNAL_STATUS, so
 * internals never leak to clients.
 */
export function statusOf(error: unknown): ApiStatus | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if (error instanceof KvError) return { code: error.grpcCode, details: error.message };
  const { code, details } = error as { code?: unknown; details?: unknown };
  if (typeof code === "string") return STATUS_BY_CODE[code];
  // An ApiStatus thrown by the API itself (e.g. UNIMPLEMENTED), or the gRPC status of a call the
  // node forwarded (to the leader): passed on as it came.
  if (typeof code === "number" && typeof details === "string") return { code, details };
  return undefined;
}

/** A status for a method raftkv does not serve yet; the message names it. */
export function unimplemented(method: string): ApiStatus {
  return entry(status.UNIMPLEMENTED, `raftkv: ${method} is not implemented yet`);
}
