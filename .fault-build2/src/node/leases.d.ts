import type { LeaseApi, LeaseTimeToLive } from "../api/lease-service.js";
import type { Lease } from "../kv/lease.js";
import type { AppliedBatch } from "../kv/mvcc.js";
import { LeaseClock } from "./lease-clock.js";
import type { Logger } from "./logger.js";
/** The part of KvStateMachine leases use. */
export interface LeaseStore {
    readonly appliedIndex: number;
    lease(id: number): Lease | undefined;
    leaseIds(): number[];
    onApplied(listener: (batch: AppliedBatch) => void): () => void;
}
export type LeaseProposalKind = "leaseGrant" | "leaseRevoke" | "leaseCheckpoint";
export interface LeaseManagerOptions {
    readonly kv: LeaseStore;
    readonly propose: (kind: LeaseProposalKind, request: object) => Promise<object>;
    readonly isLeader: () => boolean;
    /** Last committed Raft index (a new leader waits to apply it before answering "not found"). */
    readonly commitIndex: () => number;
    /** Calls `fn` when this member gains or loses leadership; returns an unsubscribe function. */
    readonly onLeadershipChange: (fn: (leader: boolean) => void) => () => void;
    /** host:port of the leader's client API, null when unknown. */
    readonly leaderClientAddress: () => string | null;
    readonly electionTimeoutMs: number;
    /** How often a forwarded call waiting for a leader is retried. */
    readonly retryMs: number;
    readonly requestTimeoutMs: number;
    readonly logger: Logger;
    /** Default: etcd's, ceil(1.5 × election timeout) seconds. */
    readonly minTtlSeconds?: number;
    /** Default 5 min (etcd's lease checkpoint interval); 0 disables checkpoints. */
    readonly checkpointIntervalMs?: number;
    /** How often the leader looks for expired leases. Default 500 ms (etcd's). */
    readonly expiryCheckMs?: number;
    /** Revokes proposed per check. Default 500 (etcd: 1000/s). */
    readonly maxRevokesPerCheck?: number;
    readonly now?: () => number;
    readonly randomId?: () => number;
}
export declare class LeaseManager implements LeaseApi {
    #private;
    constructor(options: LeaseManagerOptions);
    /** Minimum TTL a grant gets, seconds. */
    get minTtlSeconds(): number;
    /** The leader's clock (read-only use: tests, status). */
    get clock(): LeaseClock;
    start(): void;
    stop(): void;
    grant(ttlSeconds: number, id: number): Promise<{
        ID: number;
        TTL: number;
        revision: number;
    }>;
    revoke(id: number): Promise<{
        revision: number;
    }>;
    keepAlive(id: number, forwarded: boolean): Promise<number>;
    timeToLive(id: number, keys: boolean, forwarded: boolean): Promise<LeaseTimeToLive | null>;
    leases(): number[];
}
