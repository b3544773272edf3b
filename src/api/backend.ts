// What the client API needs from a node. The node layer implements it; the API knows nothing of
// Raft, storage or peers, and tests drive the API with a fake over a real KvStateMachine.

import type { RangeRequest, RangeResponse } from "../kv/types.js";

/** The kinds of etcd writes that go through consensus. */
export type ProposalKind =
  | "put"
  | "deleteRange"
  | "txn"
  | "compaction"
  | "leaseGrant"
  | "leaseRevoke"
  | "leaseCheckpoint"
  | "authEnable"
  | "authDisable"
  | "authenticate"
  | "authUserAdd"
  | "authUserDelete"
  | "authUserChangePassword"
  | "authUserGrantRole"
  | "authUserRevokeRole"
  | "authRoleAdd"
  | "authRoleDelete"
  | "authRoleGrantPermission"
  | "authRoleRevokePermission"
  | "alarm";

export interface Member {
  /** Member ID; below 2^53. */
  id: number;
  /** Empty until the member has started. */
  name: string;
  peerURLs: string[];
  /** Empty until the member has started. */
  clientURLs: string[];
  isLearner: boolean;
}

export interface NodeStatus {
  /** Member ID of the leader this node knows of, 0 for none. */
  leader: number;
  /** Last committed Raft index. */
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  /** Bytes on disk of the node's store. */
  dbSize: number;
  /** Bytes of the store holding data (dbSize less what compaction would give back); default dbSize. */
  dbSizeInUse?: number;
  /** The backend quota (--quota-backend-bytes); 0 when unknown. */
  dbSizeQuota?: number;
  /** Server version, e.g. "3.4.0" (etcdctl compares it to pick features). */
  version: string;
  isLearner: boolean;
  /** Active problems, e.g. "no leader"; empty when healthy. */
  errors: string[];
}

/** The read side of the KV state machine the API serves directly (KvStateMachine has this shape). */
export interface KvReader {
  /**
   * Serves a validated range request at the latest revision (KvError on bad revisions):
   * synchronously when every value it returns is in memory.
   */
  range(req: RangeRequest): RangeResponse | Promise<RangeResponse>;
  /** Serves a range request at any revision still held (a past one from disk). */
  rangeAt(req: RangeRequest): Promise<RangeResponse>;
  /** Current store revision. */
  readonly revision: number;
  /** Revisions below this are compacted away; 0 = never compacted. */
  readonly compactedRevision: number;
  /** Hash of the local KV store (Maintenance.Hash/HashKV). */
  hashKV(): number | Promise<number>;
  /** The hash and the revision it covers, when the store can say (else: revision read before). */
  hashKVAt?(): Promise<{ hash: number; revision: number }>;
  /** Resolves once history below `revision` is physically removed (Compact with physical). */
  waitCompaction?(revision: number): Promise<void>;
  /** Active alarms of a type (every alarm for "NONE"), from the replicated state. */
  alarms?(
    type: "NONE" | "NOSPACE" | "CORRUPT",
  ): { memberID: number; alarm: "NONE" | "NOSPACE" | "CORRUPT" }[];
}

export interface ApiBackend {
  readonly clusterId: number;
  readonly memberId: number;
  /** The node's current Raft term. */
  raftTerm(): number;
  readonly kv: KvReader;
  /**
   * Proposes an etcd write; resolves with the state machine's response once it is applied on THIS
   * node. Rejects with a NodeError (no leader, timed out, too many requests, stopping) or the
   * KvError the state machine raised.
   *
   * `encoded`, when given, is `req` protobuf-encoded exactly as it arrived from the client (an
   * etcdserverpb.*Request message): the node may frame it with encodeCommandFromBytes instead of
   * encoding `req` again. The API validated `req` before calling.
   */
  propose(kind: ProposalKind, req: object, encoded?: Buffer): Promise<object>;
  /** Linearizable read barrier (ReadIndex): resolves once this node applied everything committed before the call. */
  readBarrier(): Promise<void>;
  members(): Member[];
  status(): NodeStatus;
  /** Hands leadership to `target`; resolves when it has it. */
  moveLeader(target: number): Promise<void>;
  /** The node's store as a stream of chunks (Maintenance.Snapshot). */
  snapshot(): AsyncIterable<Buffer>;
  /** Has a leader and is not stopping (gRPC health, /healthz). */
  ready(): boolean;
  /**
   * Membership changes (Cluster.MemberAdd / MemberRemove / MemberPromote), served by the leader:
   * each resolves once the change is applied. Optional: a backend without them answers UNIMPLEMENTED.
   */
  memberAdd?(request: MemberAddRequest): Promise<{ member: Member; members: Member[] }>;
  memberRemove?(id: number): Promise<Member[]>;
  memberPromote?(id: number): Promise<Member[]>;
}

export interface MemberAddRequest {
  peerURLs: string[];
  isLearner: boolean;
  /** raftkv extension (not sent by etcdctl): the new member's name. */
  name?: string;
}
