// Domain types of the replicated KV state machine.
//
// Their shape mirrors etcd's v3 messages (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto) as
// @grpc/proto-loader decodes them with the options in PROTO_LOADER_OPTIONS below, so a decoded
// request passes from the gRPC layer to the state machine without copying. Revisions, versions
// and lease IDs are JS numbers: they stay below 2^53. uint64 IDs (cluster_id, member_id,
// Member.ID) decode as numbers too, so raftkv chooses them below 2^53; an ID a client sends that
// is not Number.isSafeInteger has lost precision in decoding and must be rejected.
//
// Decoding notes (proto-loader and protobufjs toObject with these options): absent scalar and
// bytes fields decode to their defaults (0, false, "", empty Buffer, first enum name); absent
// message fields decode to null; of a oneof only the member that is set is present, and a
// property named after the oneof (camelCase) holds that member's name.

export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
} as const;

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: number;
}

export interface ResponseHeader {
  clusterId: number;
  memberId: number;
  revision: number;
  raftTerm: number;
}

export type SortOrder = "NONE" | "ASCEND" | "DESCEND";
export type SortTarget = "KEY" | "VERSION" | "CREATE" | "MOD" | "VALUE";

export interface RangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  limit: number;
  revision: number;
  sortOrder: SortOrder;
  sortTarget: SortTarget;
  serializable: boolean;
  keysOnly: boolean;
  countOnly: boolean;
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
}

export interface RangeResponse {
  header?: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: number;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

export interface PutResponse {
  header?: ResponseHeader;
  /** Decoded: null when not set (message fields decode to null with `defaults: true`). */
  prevKv?: KeyValue | null;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  prevKv: boolean;
}

export interface DeleteRangeResponse {
  header?: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareResult = "EQUAL" | "GREATER" | "LESS" | "NOT_EQUAL";
export type CompareTarget = "VERSION" | "CREATE" | "MOD" | "VALUE" | "LEASE";

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  /**
   * oneof target_union: the name of the member that is set. proto-loader leaves the members that
   * are not set ABSENT (not defaulted), so at most one of the five below is present; a member set
   * to its zero value is present (oneof members have explicit presence). A Compare without a
   * target_union compares against the zero value, as etcd does.
   */
  targetUnion?: "version" | "createRevision" | "modRevision" | "value" | "lease";
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Buffer;
  lease?: number;
  rangeEnd: Buffer;
}

/**
 * oneof request: proto-loader sets `request` to the member's name and leaves the other members
 * absent; a RequestOp with nothing set has no `request`.
 */
export interface RequestOp {
  request?: "requestRange" | "requestPut" | "requestDeleteRange" | "requestTxn";
  requestRange?: RangeRequest | null;
  requestPut?: PutRequest | null;
  requestDeleteRange?: DeleteRangeRequest | null;
  requestTxn?: TxnRequest | null;
}

/** oneof response: as RequestOp. Sub-response headers carry only `revision`. */
export interface ResponseOp {
  response: "responseRange" | "responsePut" | "responseDeleteRange" | "responseTxn";
  responseRange?: RangeResponse;
  responsePut?: PutResponse;
  responseDeleteRange?: DeleteRangeResponse;
  responseTxn?: TxnResponse;
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header?: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  physical: boolean;
}

export interface CompactionResponse {
  header?: ResponseHeader;
}

// ---- Watch (mvccpb.Event and the etcdserverpb Watch messages) ----

export type EventType = "PUT" | "DELETE";

export interface Event {
  type: EventType;
  kv: KeyValue | null;
  prevKv: KeyValue | null;
  /**
   * Set by the state machine when prevKv's value was not in memory at apply time (prevKv.value is
   * then empty): a watcher that wants prev_kv must read it from history instead.
   */
  prevKvUnloaded?: boolean;
}

export type WatchFilterType = "NOPUT" | "NODELETE";

export interface WatchCreateRequest {
  key: Buffer;
  rangeEnd: Buffer;
  startRevision: number;
  progressNotify: boolean;
  filters: WatchFilterType[];
  prevKv: boolean;
  watchId: number;
  fragment: boolean;
}

export interface WatchCancelRequest {
  watchId: number;
}

/** oneof request_union, as RequestOp. */
export interface WatchRequest {
  requestUnion?: "createRequest" | "cancelRequest" | "progressRequest";
  createRequest?: WatchCreateRequest | null;
  cancelRequest?: WatchCancelRequest | null;
  progressRequest?: Record<string, never> | null;
}

export interface WatchResponse {
  header?: ResponseHeader | null;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: Event[];
}

// ---- Lease. Field names keep etcd's spelling: `ID`, `TTL`, `grantedTTL`, `remaining_TTL`. ----

export interface LeaseGrantRequest {
  TTL: number;
  ID: number;
}

export interface LeaseGrantResponse {
  header?: ResponseHeader | null;
  ID: number;
  TTL: number;
  error: string;
}

export interface LeaseRevokeRequest {
  ID: number;
}

export interface LeaseRevokeResponse {
  header?: ResponseHeader | null;
}

export interface LeaseCheckpoint {
  ID: number;
  /** Not camelCased: protobufjs only camelCases "_" + lowercase letter. */
  remaining_TTL: number;
}

export interface LeaseCheckpointRequest {
  checkpoints: LeaseCheckpoint[];
}

export interface LeaseKeepAliveRequest {
  ID: number;
}

export interface LeaseKeepAliveResponse {
  header?: ResponseHeader | null;
  ID: number;
  TTL: number;
}

export interface LeaseTimeToLiveRequest {
  ID: number;
  keys: boolean;
}

export interface LeaseTimeToLiveResponse {
  header?: ResponseHeader | null;
  ID: number;
  TTL: number;
  grantedTTL: number;
  keys: Buffer[];
}

export interface LeaseStatus {
  ID: number;
}

export interface LeaseLeasesResponse {
  header?: ResponseHeader | null;
  leases: LeaseStatus[];
}

// ---- Cluster. Field names keep etcd's spelling: `ID`, `peerURLs`, `clientURLs`, `isLearner`. ----

export interface Member {
  ID: number;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberAddRequest {
  peerURLs: string[];
  isLearner: boolean;
}

export interface MemberRemoveRequest {
  ID: number;
}

export interface MemberUpdateRequest {
  ID: number;
  peerURLs: string[];
}

export interface MemberPromoteRequest {
  ID: number;
}

/** What the state machine stores about a member (the Raft configuration holds only its ID). */
export interface MemberMetadata {
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
}

// ---- Maintenance ----

export interface HashKVRequest {
  revision: number;
}

export interface HashKVResponse {
  header?: ResponseHeader | null;
  hash: number;
  compactRevision: number;
  hashRevision: number;
}
