// The storage the core reads: the stable (already persisted) part of the log, the hard state
// and the latest snapshot. The core never writes it; the driver writes it after the durable
// store has accepted the same data (fsync), then calls `advance()`.
//
// `MemoryStorage` is the reference implementation. The node keeps one as an in-memory mirror of
// its durable LevelDB log since the last snapshot; the simulator uses it as the durable store.
import { assert, CompactedError, RaftError, UnavailableError } from "./errors.js";
import { EMPTY_HARD_STATE, } from "./types.js";
export const EMPTY_CONF_STATE = Object.freeze({ voters: [], learners: [] });
export function entryBytes(e) {
    return e.data.byteLength + 24;
}
export class MemoryStorage {
    #hardState = EMPTY_HARD_STATE;
    #snapshot = {
        meta: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
        data: new Uint8Array(0),
    };
    /** Index and term of the last compacted entry (the log starts after it). */
    #offsetIndex = 0;
    #offsetTerm = 0;
    /** #entries[i] has index #offsetIndex + 1 + i. Invariant: #offsetIndex <= #snapshot.meta.index
     *  unless the log is empty. */
    #entries = [];
    initialState() {
        return { hardState: this.#hardState, confState: this.#snapshot.meta.confState };
    }
    /** The configuration is carried by the snapshot; at bootstrap the driver sets it here. */
    setConfState(confState) {
        this.#snapshot = { ...this.#snapshot, meta: { ...this.#snapshot.meta, confState } };
    }
    hardState() {
        return this.#hardState;
    }
    setHardState(hs) {
        this.#hardState = hs;
    }
    entries(lo, hi, maxBytes) {
        if (lo <= this.#offsetIndex)
            throw new CompactedError(lo, this.#offsetIndex + 1);
        if (hi > this.lastIndex() + 1)
            throw new UnavailableError(hi - 1, this.lastIndex());
        const out = [];
        let bytes = 0;
        for (let i = lo; i < hi; i++) {
            const e = this.#entries[i - this.#offsetIndex - 1];
            assert(e !== undefined, `entry ${i} missing in memory storage`);
            bytes += entryBytes(e);
            if (out.length > 0 && bytes > maxBytes)
                break;
            out.push(e);
        }
        return out;
    }
    term(i) {
        if (i === this.#offsetIndex)
            return this.#offsetTerm;
        if (i < this.#offsetIndex)
            throw new CompactedError(i, this.#offsetIndex + 1);
        const e = this.#entries[i - this.#offsetIndex - 1];
        if (e === undefined)
            throw new UnavailableError(i, this.lastIndex());
        return e.term;
    }
    firstIndex() {
        return this.#offsetIndex + 1;
    }
    lastIndex() {
        return this.#offsetIndex + this.#entries.length;
    }
    snapshot() {
        return this.#snapshot;
    }
    /** Append entries; an entry at an index already present replaces it and all after it. */
    append(entries) {
        if (entries.length === 0)
            return;
        const first = entries[0];
        assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
        const skip = this.#offsetIndex + 1 - first.index;
        if (skip > 0) {
            // Entries already compacted are skipped (they are committed, hence identical).
            if (skip < entries.length)
                this.append(entries.slice(skip));
            return;
        }
        this.#entries.length = first.index - this.#offsetIndex - 1;
        for (const e of entries)
            this.#entries.push(e);
    }
    /** Replace everything with a snapshot received from the leader. */
    applySnapshot(snapshot) {
        if (snapshot.meta.index <= this.#snapshot.meta.index) {
            throw new RaftError("RAFTKV_SNAPSHOT_OUT_OF_DATE", `snapshot ${snapshot.meta.index} is out of date`);
        }
        this.#snapshot = snapshot;
        this.#offsetIndex = snapshot.meta.index;
        this.#offsetTerm = snapshot.meta.term;
        this.#entries = [];
    }
    /** Record a snapshot taken by the application at `index` (<= lastIndex). Does not compact. */
    createSnapshot(index, confState, data) {
        if (index <= this.#snapshot.meta.index) {
            throw new RaftError("RAFTKV_SNAPSHOT_OUT_OF_DATE", `snapshot ${index} is out of date`);
        }
        assert(index <= this.lastIndex(), `snapshot ${index} beyond last index ${this.lastIndex()}`);
        const meta = { index, term: this.term(index), confState };
        this.#snapshot = { meta, data };
        return this.#snapshot;
    }
    /** Drop entries up to and including `index`, which must not pass the snapshot index. */
    compact(index) {
        if (index <= this.#offsetIndex)
            return;
        assert(index <= this.#snapshot.meta.index, `compact ${index} beyond snapshot ${this.#snapshot.meta.index}`);
        this.#offsetTerm = this.term(index);
        this.#entries = this.#entries.slice(index - this.#offsetIndex);
        this.#offsetIndex = index;
    }
}
//# sourceMappingURL=storage.js.map