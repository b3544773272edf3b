// Wire shapes of the Cluster, Maintenance and health messages, as @grpc/proto-loader decodes them
// with PROTO_LOADER_OPTIONS (camelCase fields except where etcd's proto spells them otherwise,
// e.g. Member.ID, peerURLs; 64-bit integers as numbers; enums as strings). The KV messages are
// the domain types in src/kv/types.ts.

import type { ResponseHeader } from "../kv/types.js";

export interface WireMember {
  ID: number;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberListRequest {
  linearizable: boolean;
}

export interface MemberListResponse {
  header?: ResponseHeader;
  members: WireMember[];
}

export interface MemberAddRequest {
  peerURLs: string[];
  isLearner: boolean;
  /** raftkv extension (field 100): the new member's name. */
  name: string;
}

export interface MemberAddResponse {
  header?: ResponseHeader;
  member: WireMember | null;
  members: WireMember[];
}

/** MemberRemoveRequest and MemberPromoteRequest. */
export interface MemberIdRequest {
  ID: number;
}

/** MemberRemoveResponse and MemberPromoteResponse. */
export interface MembersResponse {
  header?: ResponseHeader;
  members: WireMember[];
}

export interface StatusResponse {
  header?: ResponseHeader;
  version: string;
  dbSize: number;
  leader: number;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  dbSizeInUse: number;
  isLearner: boolean;
  storageVersion: string;
  dbSizeQuota: number;
}

export interface HashResponse {
  header?: ResponseHeader;
  hash: number;
}

export interface HashKVRequest {
  revision: number;
}

export interface HashKVResponse {
  header?: ResponseHeader;
  hash: number;
  compactRevision: number;
  hashRevision: number;
}

export interface SnapshotResponse {
  header?: ResponseHeader;
  remainingBytes: number;
  blob: Buffer;
  version: string;
}

export type AlarmType = "NONE" | "NOSPACE" | "CORRUPT";

export interface AlarmRequest {
  action: "GET" | "ACTIVATE" | "DEACTIVATE";
  memberID: number;
  alarm: AlarmType;
}

export interface AlarmResponse {
  header?: ResponseHeader;
  alarms: { memberID: number; alarm: AlarmType }[];
}

/** raftkv extends etcd's DefragmentResponse with the store's size before and after (bytes). */
export interface DefragmentResponse {
  header?: ResponseHeader;
  dbSizeBefore?: number;
  dbSizeAfter?: number;
}

export interface MoveLeaderRequest {
  targetID: number;
}

export interface HeaderOnlyResponse {
  header?: ResponseHeader;
}

export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

export interface HealthCheckRequest {
  service: string;
}

export interface HealthCheckResponse {
  status: ServingStatus;
}
