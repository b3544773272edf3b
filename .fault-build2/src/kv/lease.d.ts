import type { LeaseCheckpointRequest, LeaseGrantRequest } from "./types.js";
/** etcd's MaxLeaseTTL: 9,000,000,000 s (about 285 years). */
export declare const MAX_LEASE_TTL_SECONDS = 9000000000;
export interface Lease {
    readonly id: number;
    /** Granted TTL, seconds (the proposer already raised it to the minimum TTL). */
    readonly ttl: number;
    /** Remaining TTL at the last checkpoint, seconds; 0 = none (a new leader starts from `ttl`). */
    remainingTtl: number;
    /** Names (latin1) of the live keys attached. */
    readonly keys: Set<string>;
}
/** Lease changes of one applied batch, in apply order (for the leader's expiry clock). */
export interface LeaseChanges {
    granted: number[];
    revoked: number[];
    /** Leases whose checkpointed remaining TTL changed. */
    checkpointed: number[];
}
type Op = {
    type: "put";
    key: Buffer;
    value: Buffer;
} | {
    type: "del";
    key: Buffer;
};
export declare function encodeLeaseRecord(ttl: number, remainingTtl: number): Buffer;
export declare function decodeLeaseRecord(buf: Buffer): {
    ttl: number;
    remainingTtl: number;
};
export declare class LeaseTable {
    #private;
    get size(): number;
    has(id: number): boolean;
    get(id: number): Lease | undefined;
    /** Every lease ID, ascending. */
    ids(): number[];
    /** The changes since the last call (apply() hands them to its listeners). */
    takeChanges(): LeaseChanges;
    /** Loading: a stored lease record (keys are attached afterwards from the live keys). */
    restore(id: number, record: Buffer): void;
    clear(): void;
    /** etcd's lessor.Grant, deterministic: the ID and TTL come from the entry. */
    grant(req: LeaseGrantRequest, ops: Op[]): {
        ID: number;
        TTL: number;
    };
    /**
     * First half of a revoke: the keys to delete (sorted, so every member deletes them with the
     * same sub-revisions). Throws "requested lease not found" for an unknown lease.
     */
    keysToRevoke(id: number): string[];
    /** Second half: the keys are deleted (and detached); the lease goes. */
    remove(id: number, ops: Op[]): void;
    /** etcd's checkpoint: records each lease's remaining TTL; unknown leases are skipped. */
    checkpoint(req: LeaseCheckpointRequest, ops: Op[]): void;
    /** A key's live version changed lease (either may be 0 = none, or the key is gone). */
    reattach(name: string, from: number, to: number): void;
    /**
     * Loading: attaches a live key to the lease its record names. A record naming a lease the
     * store does not hold (written before leases were replicated) stays unattached.
     */
    attachLoaded(name: string, id: number): void;
}
export {};
