// MemoryLogStore: the in-memory LogStore, same semantics as LevelLogStore, used as the test double.
// The "disk" is a MemoryLogDisk object that outlives the store, so a test can close a store and
// open a new one on the same disk to model a restart (nothing is lost: every save is durable).
import { StorageError } from "./errors.js";
import { LogShape, loadedLogProblem } from "./log-store.js";
export class MemoryLogDisk {
    hardState = null;
    snapshotMeta = null;
    logStart = { index: 0, term: 0 };
    /** Stored entries by index (may hold stale entries at or below the log start, like LevelDB). */
    entries = new Map();
}
export class MemoryLogStore {
    disk;
    #shape;
    #closed = false;
    constructor(disk, shape) {
        this.disk = disk;
        this.#shape = shape;
    }
    static async open(disk = new MemoryLogDisk()) {
        const loaded = readDisk(disk);
        return new MemoryLogStore(disk, LogShape.fromLoaded(loaded));
    }
    async save(update) {
        this.#checkOpen();
        const plan = this.#shape.planSave(update);
        const disk = this.disk;
        if (plan.snapshot !== null)
            disk.snapshotMeta = plan.snapshot;
        if (plan.logStart !== null)
            disk.logStart = plan.logStart;
        for (let i = plan.deleteFrom; i <= plan.deleteTo; i++)
            disk.entries.delete(i);
        for (const e of plan.entries)
            disk.entries.set(e.index, copyEntry(e));
        if (plan.hardState !== null)
            disk.hardState = plan.hardState;
        this.#shape.applySave(plan);
    }
    async recordSnapshot(meta) {
        this.#checkOpen();
        this.#shape.checkRecordSnapshot(meta);
        this.disk.snapshotMeta = meta;
        this.#shape.snapshotMeta = meta;
    }
    async compact(index) {
        this.#checkOpen();
        const logStart = this.#shape.planCompact(index);
        if (logStart === null)
            return;
        this.disk.logStart = logStart;
        for (const i of [...this.disk.entries.keys()])
            if (i <= index)
                this.disk.entries.delete(i);
        this.#shape.applyCompact(logStart);
    }
    async load() {
        this.#checkOpen();
        return readDisk(this.disk);
    }
    firstIndex() {
        return this.#shape.firstIndex;
    }
    lastIndex() {
        return this.#shape.lastIndex;
    }
    async close() {
        this.#closed = true;
    }
    #checkOpen() {
        if (this.#closed)
            throw new StorageError("RAFTKV_STORE_CLOSED", "memory log store is closed");
    }
}
/** The caller may reuse its buffers after save() resolves; the disk keeps its own copy. */
function copyEntry(e) {
    return { index: e.index, term: e.term, type: e.type, data: Uint8Array.from(e.data) };
}
function readDisk(disk) {
    const start = disk.logStart;
    const entries = [];
    for (let i = start.index + 1;; i++) {
        const e = disk.entries.get(i);
        if (e === undefined)
            break;
        entries.push(e);
    }
    const stray = [...disk.entries.keys()].find((i) => i > start.index + entries.length);
    if (stray !== undefined) {
        throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt memory store: entry ${start.index + entries.length + 1} is missing before entry ${stray}`);
    }
    const loaded = {
        hardState: disk.hardState ?? { term: 0, vote: 0, commit: 0 },
        snapshotMeta: disk.snapshotMeta,
        firstIndex: start.index + 1,
        compactedTerm: start.term,
        entries,
    };
    const problem = loadedLogProblem(loaded);
    if (problem !== null)
        throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt memory store: ${problem}`);
    return loaded;
}
//# sourceMappingURL=memory-log-store.js.map