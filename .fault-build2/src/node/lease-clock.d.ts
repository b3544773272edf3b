export interface ClockLease {
    readonly id: number;
    /** Granted TTL, seconds. */
    readonly ttl: number;
    /** Checkpointed remaining TTL, seconds; 0 = none. */
    readonly remainingTtl: number;
}
export declare class LeaseClock {
    #private;
    /** True between promote() and demote(). */
    get active(): boolean;
    get size(): number;
    promote(nowMs: number, leases: Iterable<ClockLease>, extendMs: number): void;
    demote(): void;
    /** A lease was granted (applied) while leader. */
    granted(id: number, ttlSeconds: number, nowMs: number): void;
    /** A lease was revoked (applied). */
    revoked(id: number): void;
    /**
     * Renews a live lease: its deadline becomes now + TTL. False when not leader or the lease is
     * expired (past its deadline: it is being revoked). A lease the clock does not know (granted
     * in an entry applied before the clock learnt of it) starts now.
     */
    renew(id: number, ttlSeconds: number, nowMs: number): boolean;
    /** Milliseconds left (<= 0: expired); undefined when unknown or not leader. */
    remainingMs(id: number, nowMs: number): number | undefined;
    /** Expired leases, earliest deadline first, at most `limit`, except those in `skip`. */
    expired(nowMs: number, limit: number, skip?: ReadonlySet<number>): number[];
    /** Every lease the clock holds with its deadline (checkpoints). */
    entries(): IterableIterator<[number, number]>;
}
