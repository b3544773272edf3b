import { type ChannelCredentials, type ChannelOptions, status } from "@grpc/grpc-js";
import type { AlarmResponse, HashKVResponse, HashResponse, HeaderOnlyResponse, HealthCheckResponse, MemberAddResponse, MemberListResponse, MembersResponse, StatusResponse } from "../api/wire.js";
import type { CompactionResponse, DeleteRangeResponse, PutResponse, RangeResponse, TxnResponse } from "../kv/types.js";
import type { Bytes } from "./keys.js";
import { type DeleteOptions, type GetOptions, type PutOptions, type TxnInput } from "./txn.js";
export interface EtcdClientOptions {
    /** Deadline of each call, failover included. Default 5000. */
    timeoutMs?: number;
    /** Default: insecure, or TLS with the system roots when an endpoint starts with https://. */
    credentials?: ChannelCredentials;
    /** Extra grpc-js channel options. */
    channelOptions?: ChannelOptions;
}
/** A failed call: `code` is the gRPC status, `details` the server's message (etcd's text). */
export declare class EtcdClientError extends Error {
    readonly code: status;
    readonly details: string;
    readonly endpoint: string;
    constructor(code: status, details: string, endpoint: string, options?: {
        cause?: unknown;
    });
}
/** "http://host:port", "https://host:port/" or "host:port" → "host:port". */
export declare function endpointAddress(endpoint: string): string;
export declare class EtcdClient {
    #private;
    constructor(endpoints: readonly string[], options?: EtcdClientOptions);
    get endpoints(): readonly string[];
    put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse>;
    /** Range read; linearizable unless options.serializable. */
    get(key: Bytes, options?: GetOptions): Promise<RangeResponse>;
    delete(key: Bytes, options?: DeleteOptions): Promise<DeleteRangeResponse>;
    /** See `cmp` and `op` in ./txn.ts for the builders of comparisons and operations. */
    txn(txn: TxnInput): Promise<TxnResponse>;
    /** Compaction is idempotent: retried like a read. */
    compact(revision: number, options?: {
        physical?: boolean;
    }): Promise<CompactionResponse>;
    memberList(options?: {
        linearizable?: boolean;
    }): Promise<MemberListResponse>;
    /**
     * Adds a member (etcd's MemberAdd) — a learner with `isLearner` — and resolves once the change is
     * applied. Membership changes are served by the leader: see leaderEndpoint(). `name` is a raftkv
     * extension (etcd ignores it).
     */
    memberAdd(peerURLs: readonly string[], options?: {
        isLearner?: boolean;
        name?: string;
    }): Promise<MemberAddResponse>;
    memberRemove(id: number): Promise<MembersResponse>;
    /** Promotes a learner to a voter; refused until the learner has caught up with the leader. */
    memberPromote(id: number): Promise<MembersResponse>;
    /**
     * The client endpoint (host:port) of the current leader: one of the endpoints if it answers as
     * the leader, else the leader's published client URL from MemberList, else — for members that
     * have not published one — the host of its peer URL with the client port of the endpoint that
     * answered (every StatefulSet pod listens on the same ports). Rejects with "etcdserver: no
     * leader" when no endpoint knows a leader.
     */
    leaderEndpoint(): Promise<string>;
    /** Status of one member: `endpoint`, or the endpoint in use. */
    status(endpoint?: string): Promise<StatusResponse>;
    hash(endpoint?: string): Promise<HashResponse>;
    hashKV(revision?: number, endpoint?: string): Promise<HashKVResponse>;
    alarms(): Promise<AlarmResponse>;
    /** Asks the leader (`endpoint` must be the leader's) to hand leadership to `targetId`. */
    moveLeader(targetId: number, endpoint?: string): Promise<HeaderOnlyResponse>;
    /** grpc.health.v1 Check of one member. */
    health(endpoint?: string, service?: string): Promise<HealthCheckResponse>;
    /** The member's store as a stream of chunks (no deadline: snapshots may be large). */
    snapshot(endpoint?: string): AsyncGenerator<Buffer>;
    close(): void;
}
