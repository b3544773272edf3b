// The replicated half of leases: which leases exist, their granted TTL, a checkpointed remaining
// TTL, and which live keys are attached to each. Applied from the Raft log like every other
// command, so every member holds the same table; stored in the "l" keyspace (layout.ts) in the
// same LevelDB batch as the entry that changed it.
//
// Time is NOT here. When a lease expires is soft state kept by the leader alone (src/node/
// leases.ts): it proposes LeaseRevoke for the leases it finds expired, and a new leader restarts
// every lease's clock from its TTL (or its checkpointed remaining TTL) plus an election timeout.
//
// Invariants:
// - A key is attached to at most one lease: the lease its live record names (KeyValue.lease).
//   The attachment index is derived from the live keys, never stored: rebuilt at open.
// - Every lease ID is a positive safe integer (a u64 in the "l" key).
// - Iteration that reaches the output (revoke's deletions, leases()) is in sorted order, never
//   in Map insertion order, so a store rebuilt from a snapshot behaves the same.
import { KvError } from "./errors.js";
import { leaseKey, readU64, writeU64 } from "./layout.js";
/** etcd's MaxLeaseTTL: 9,000,000,000 s (about 285 years). */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;
const RECORD_BYTES = 16;
export function encodeLeaseRecord(ttl, remainingTtl) {
    const buf = Buffer.allocUnsafe(RECORD_BYTES);
    writeU64(buf, ttl, 0);
    writeU64(buf, remainingTtl, 8);
    return buf;
}
export function decodeLeaseRecord(buf) {
    if (buf.length !== RECORD_BYTES)
        throw new Error(`raftkv: lease record of ${buf.length} bytes`);
    return { ttl: readU64(buf, 0), remainingTtl: readU64(buf, 8) };
}
function checkId(id) {
    // A lease ID of 0 is "no lease" (etcd's NoLease); a negative or unsafe one cannot be stored.
    if (!Number.isSafeInteger(id) || id <= 0)
        throw new KvError("RAFTKV_LEASE_NOT_FOUND");
}
export class LeaseTable {
    #leases = new Map();
    #changes = { granted: [], revoked: [], checkpointed: [] };
    get size() {
        return this.#leases.size;
    }
    has(id) {
        return this.#leases.has(id);
    }
    get(id) {
        return this.#leases.get(id);
    }
    /** Every lease ID, ascending. */
    ids() {
        return [...this.#leases.keys()].sort((a, b) => a - b);
    }
    /** The changes since the last call (apply() hands them to its listeners). */
    takeChanges() {
        const changes = this.#changes;
        this.#changes = { granted: [], revoked: [], checkpointed: [] };
        return changes;
    }
    /** Loading: a stored lease record (keys are attached afterwards from the live keys). */
    restore(id, record) {
        const { ttl, remainingTtl } = decodeLeaseRecord(record);
        this.#leases.set(id, { id, ttl, remainingTtl, keys: new Set() });
    }
    clear() {
        this.#leases.clear();
        this.#changes = { granted: [], revoked: [], checkpointed: [] };
    }
    /** etcd's lessor.Grant, deterministic: the ID and TTL come from the entry. */
    grant(req, ops) {
        checkId(req.ID);
        if (req.TTL > MAX_LEASE_TTL_SECONDS)
            throw new KvError("RAFTKV_LEASE_TTL_TOO_LARGE");
        if (this.#leases.has(req.ID))
            throw new KvError("RAFTKV_LEASE_EXISTS");
        const ttl = Math.max(0, Math.floor(req.TTL));
        this.#leases.set(req.ID, { id: req.ID, ttl, remainingTtl: 0, keys: new Set() });
        ops.push({ type: "put", key: leaseKey(req.ID), value: encodeLeaseRecord(ttl, 0) });
        this.#changes.granted.push(req.ID);
        return { ID: req.ID, TTL: ttl };
    }
    /**
     * First half of a revoke: the keys to delete (sorted, so every member deletes them with the
     * same sub-revisions). Throws "requested lease not found" for an unknown lease.
     */
    keysToRevoke(id) {
        const lease = this.#leases.get(id);
        if (lease === undefined)
            throw new KvError("RAFTKV_LEASE_NOT_FOUND");
        return [...lease.keys].sort();
    }
    /** Second half: the keys are deleted (and detached); the lease goes. */
    remove(id, ops) {
        const lease = this.#leases.get(id);
        if (lease === undefined)
            throw new Error(`raftkv: removing unknown lease ${id}`);
        if (lease.keys.size !== 0)
            throw new Error(`raftkv: lease ${id} removed with keys attached`);
        this.#leases.delete(id);
        ops.push({ type: "del", key: leaseKey(id) });
        this.#changes.revoked.push(id);
    }
    /** etcd's checkpoint: records each lease's remaining TTL; unknown leases are skipped. */
    checkpoint(req, ops) {
        for (const cp of req.checkpoints) {
            const lease = this.#leases.get(cp.ID);
            if (lease === undefined)
                continue;
            const remaining = Math.max(0, Math.min(lease.ttl, Math.floor(cp.remaining_TTL)));
            if (remaining === lease.remainingTtl)
                continue;
            lease.remainingTtl = remaining;
            ops.push({ type: "put", key: leaseKey(cp.ID), value: encodeLeaseRecord(lease.ttl, remaining) });
            this.#changes.checkpointed.push(cp.ID);
        }
    }
    /** A key's live version changed lease (either may be 0 = none, or the key is gone). */
    reattach(name, from, to) {
        if (from === to)
            return;
        if (from !== 0)
            this.#leases.get(from)?.keys.delete(name);
        // A lease the table does not hold passed only a caller-supplied leaseExists (tests): the key
        // stays unattached.
        if (to !== 0)
            this.#leases.get(to)?.keys.add(name);
    }
    /**
     * Loading: attaches a live key to the lease its record names. A record naming a lease the
     * store does not hold (written before leases were replicated) stays unattached.
     */
    attachLoaded(name, id) {
        if (id !== 0)
            this.#leases.get(id)?.keys.add(name);
    }
}
//# sourceMappingURL=lease.js.map