// The leader's view of one follower's log (etcd-io/raft tracker.Progress), kept pure.
//
// States:
// - probe: the leader does not know where the follower's log matches; it sends one append at
//   a time (per heartbeat interval) and backs off on rejection.
// - replicate: the follower is caught up; appends are pipelined, at most `maxInflight` unacked.
// - snapshot: a snapshot is being sent; appends pause until it is reported done.
//
// Invariant: match < next.
import { assert } from "./errors.js";
export class Progress {
    match = 0;
    next;
    state = "probe";
    /** In probe state: an append was sent and we wait for its answer (or the next heartbeat). */
    probeSent = false;
    /** In snapshot state: the index of the snapshot being sent. */
    pendingSnapshot = 0;
    /** Heard from since the last check-quorum round. */
    recentActive = false;
    learner;
    /** Last index of each unacknowledged append, oldest first; bounded by maxInflight. */
    #inflight = [];
    #maxInflight;
    constructor(next, maxInflight, learner) {
        this.next = next;
        this.#maxInflight = maxInflight;
        this.learner = learner;
    }
    #reset(state) {
        this.state = state;
        this.probeSent = false;
        this.pendingSnapshot = 0;
        this.#inflight.length = 0;
    }
    becomeProbe() {
        if (this.state === "snapshot") {
            const pending = this.pendingSnapshot;
            this.#reset("probe");
            this.next = Math.max(this.match + 1, pending + 1);
        }
        else {
            this.#reset("probe");
            this.next = this.match + 1;
        }
    }
    becomeReplicate() {
        this.#reset("replicate");
        this.next = this.match + 1;
    }
    becomeSnapshot(snapshotIndex) {
        this.#reset("snapshot");
        this.pendingSnapshot = snapshotIndex;
    }
    /** An append acknowledged up to n. Returns false when n is stale. */
    maybeUpdate(n) {
        let updated = false;
        if (this.match < n) {
            this.match = n;
            updated = true;
            this.probeSent = false;
        }
        this.next = Math.max(this.next, n + 1);
        this.#freeTo(n);
        return updated;
    }
    /** Optimistically advance next after sending entries up to `last` (replicate state). */
    sentEntries(last, entryCount) {
        if (this.state === "replicate") {
            if (entryCount > 0) {
                this.next = last + 1;
                this.#inflight.push(last);
                assert(this.#inflight.length <= this.#maxInflight, "inflight window overflow");
            }
        }
        else if (this.state === "probe") {
            this.probeSent = true;
        }
    }
    /**
     * A rejected append for `rejected` with the follower's hint `matchHint`. Returns false when
     * the rejection is stale (out of order).
     */
    maybeDecrTo(rejected, matchHint) {
        if (this.state === "replicate") {
            if (rejected <= this.match)
                return false; // stale
            this.next = this.match + 1;
            return true;
        }
        if (this.next - 1 !== rejected)
            return false; // stale: not the probe we sent
        this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
        this.probeSent = false;
        return true;
    }
    #freeTo(index) {
        let i = 0;
        while (i < this.#inflight.length && this.#inflight[i] <= index)
            i++;
        if (i > 0)
            this.#inflight.splice(0, i);
    }
    /** Free the oldest inflight slot (a heartbeat answer proves the follower is alive). */
    freeFirstOne() {
        if (this.#inflight.length > 0)
            this.#inflight.shift();
    }
    inflightFull() {
        return this.#inflight.length >= this.#maxInflight;
    }
    /** No appends should be sent now. */
    isPaused() {
        switch (this.state) {
            case "probe":
                return this.probeSent;
            case "replicate":
                return this.inflightFull();
            case "snapshot":
                return true;
        }
    }
    status() {
        return {
            match: this.match,
            next: this.next,
            state: this.state,
            learner: this.learner,
            recentActive: this.recentActive,
            inflight: this.#inflight.length,
        };
    }
}
//# sourceMappingURL=progress.js.map