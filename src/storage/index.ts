// The public surface of src/storage: the node's data dir (one LevelDB holding the Raft log and the
// KV state machine's keyspace, plus the snap dir), the log stores and snapshot files.

export type { DataDir, DataDirIdentity, DataDirState, KvSublevel, OpenDataDirOptions } from "./data-dir.js";
export { dataDirExists, dataDirState, openDataDir } from "./data-dir.js";
export type { StorageErrorCode } from "./errors.js";
export { StorageError } from "./errors.js";
export { unreadableTables } from "./level-diagnostics.js";
export type { RawLevel } from "./level-log-store.js";
export { LevelLogStore } from "./level-log-store.js";
export type { LoadedLog, LogStore, LogUpdate } from "./log-store.js";
export { restoreMemoryStorage } from "./log-store.js";
export { MemoryLogDisk, MemoryLogStore } from "./memory-log-store.js";
export { type DataDirPeek, peekDataDir } from "./peek.js";
export type { SnapshotFileInfo } from "./snapshot-file.js";
export {
  listSnapshotFiles,
  readSnapshotFile,
  removeSnapshotFilesBelow,
  removeSnapshotTemps,
  snapshotFileInfo,
  snapshotFileName,
  writeSnapshotFile,
} from "./snapshot-file.js";
