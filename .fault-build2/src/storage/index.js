// The public surface of src/storage: the node's data dir (one LevelDB holding the Raft log and the
// KV state machine's keyspace, plus the snap dir), the log stores and snapshot files.
export { dataDirExists, dataDirState, openDataDir } from "./data-dir.js";
export { StorageError } from "./errors.js";
export { unreadableTables } from "./level-diagnostics.js";
export { LevelLogStore } from "./level-log-store.js";
export { restoreMemoryStorage } from "./log-store.js";
export { MemoryLogDisk, MemoryLogStore } from "./memory-log-store.js";
export { readSnapshotFile, removeSnapshotTemps, snapshotFileInfo, snapshotFileName, writeSnapshotFile, } from "./snapshot-file.js";
//# sourceMappingURL=index.js.map