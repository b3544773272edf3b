import type { ProgressState, ProgressStatus } from "./types.js";
export declare class Progress {
    #private;
    match: number;
    next: number;
    state: ProgressState;
    /** In probe state: an append was sent and we wait for its answer (or the next heartbeat). */
    probeSent: boolean;
    /** In snapshot state: the index of the snapshot being sent. */
    pendingSnapshot: number;
    /** Heard from since the last check-quorum round. */
    recentActive: boolean;
    learner: boolean;
    constructor(next: number, maxInflight: number, learner: boolean);
    becomeProbe(): void;
    becomeReplicate(): void;
    becomeSnapshot(snapshotIndex: number): void;
    /** An append acknowledged up to n. Returns false when n is stale. */
    maybeUpdate(n: number): boolean;
    /** Optimistically advance next after sending entries up to `last` (replicate state). */
    sentEntries(last: number, entryCount: number): void;
    /**
     * A rejected append for `rejected` with the follower's hint `matchHint`. Returns false when
     * the rejection is stale (out of order).
     */
    maybeDecrTo(rejected: number, matchHint: number): boolean;
    /** Free the oldest inflight slot (a heartbeat answer proves the follower is alive). */
    freeFirstOne(): void;
    inflightFull(): boolean;
    /** No appends should be sent now. */
    isPaused(): boolean;
    status(): ProgressStatus;
}
