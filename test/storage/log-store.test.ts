import {
  type DataDir,
  type LogStore,
  MemoryLogDisk,
  MemoryLogStore,
  openDataDir,
} from "../../src/storage/index.js";
import { makeTempDir } from "./helpers.js";
import { describeLogStoreConformance, type LogStoreHarness } from "./log-store-conformance.js";

describeLogStoreConformance("memory", async (): Promise<LogStoreHarness> => {
  const disk = new MemoryLogDisk();
  return {
    open: () => MemoryLogStore.open(disk),
    async reopen(store) {
      await store.close();
      return MemoryLogStore.open(disk);
    },
    close: (store) => store.close(),
    async dispose() {},
  };
});

describeLogStoreConformance("LevelDB", async (): Promise<LogStoreHarness> => {
  const temp = await makeTempDir("conformance");
  const open = new Map<LogStore, DataDir>();
  const openStore = async (): Promise<LogStore> => {
    const dataDir = await openDataDir(temp.dir, { name: "n1", clusterId: 1, memberId: 1, create: true });
    open.set(dataDir.raftLog, dataDir);
    return dataDir.raftLog;
  };
  const close = async (store: LogStore): Promise<void> => {
    await open.get(store)?.close();
    open.delete(store);
  };
  return {
    open: openStore,
    async reopen(store) {
      await close(store);
      return openStore();
    },
    close,
    async dispose() {
      for (const dataDir of open.values()) await dataDir.close();
      await temp.remove();
    },
  };
});
