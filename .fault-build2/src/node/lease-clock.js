// The leader's lease clock: when each lease expires. Soft state, kept by the leader alone and
// rebuilt whenever a member becomes leader (etcd's lessor Promote/Demote). Pure: time is passed
// in, nothing here reads a clock or sets a timer, so the rules are unit-tested exactly.
//
// Rules (etcd's):
// - promote: every lease gets its remaining TTL (the checkpointed one, else its whole TTL) plus
//   `extendMs` (an election timeout), so no lease expires because leadership moved — the old
//   leader's last renewal may not have reached this one.
// - a lease granted while leader starts with its TTL; a renewal restarts it from now; a lease
//   past its deadline is expired: it cannot be renewed, and the leader proposes its revoke.
// - demote forgets everything: a follower never expires anything.
export class LeaseClock {
    /** Lease ID → deadline (ms, in the caller's clock). */
    #deadlines = new Map();
    #active = false;
    /** True between promote() and demote(). */
    get active() {
        return this.#active;
    }
    get size() {
        return this.#deadlines.size;
    }
    promote(nowMs, leases, extendMs) {
        this.#active = true;
        this.#deadlines.clear();
        for (const lease of leases) {
            const seconds = lease.remainingTtl > 0 ? lease.remainingTtl : lease.ttl;
            this.#deadlines.set(lease.id, nowMs + seconds * 1000 + extendMs);
        }
    }
    demote() {
        this.#active = false;
        this.#deadlines.clear();
    }
    /** A lease was granted (applied) while leader. */
    granted(id, ttlSeconds, nowMs) {
        if (this.#active)
            this.#deadlines.set(id, nowMs + ttlSeconds * 1000);
    }
    /** A lease was revoked (applied). */
    revoked(id) {
        this.#deadlines.delete(id);
    }
    /**
     * Renews a live lease: its deadline becomes now + TTL. False when not leader or the lease is
     * expired (past its deadline: it is being revoked). A lease the clock does not know (granted
     * in an entry applied before the clock learnt of it) starts now.
     */
    renew(id, ttlSeconds, nowMs) {
        if (!this.#active)
            return false;
        const deadline = this.#deadlines.get(id);
        if (deadline !== undefined && deadline <= nowMs)
            return false;
        this.#deadlines.set(id, nowMs + ttlSeconds * 1000);
        return true;
    }
    /** Milliseconds left (<= 0: expired); undefined when unknown or not leader. */
    remainingMs(id, nowMs) {
        const deadline = this.#deadlines.get(id);
        return deadline === undefined ? undefined : deadline - nowMs;
    }
    /** Expired leases, earliest deadline first, at most `limit`, except those in `skip`. */
    expired(nowMs, limit, skip = new Set()) {
        const due = [];
        for (const [id, deadline] of this.#deadlines) {
            if (deadline <= nowMs && !skip.has(id))
                due.push([deadline, id]);
        }
        due.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        return due.slice(0, limit).map(([, id]) => id);
    }
    /** Every lease the clock holds with its deadline (checkpoints). */
    entries() {
        return this.#deadlines.entries();
    }
}
//# sourceMappingURL=lease-clock.js.map