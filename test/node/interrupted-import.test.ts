// A kill -9 during a snapshot install leaves the KV store half imported. The fault harness found
// a member that then could not restart ("the KV store holds an incomplete snapshot import"). At
// open, the node now imports the staged snapshot file again; with no usable file it refuses with
// a clear error naming what to do. The interruption here is a stream that fails part-way: it
// leaves the store as a kill would (the import marker set, part of the data written).

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeCommand, ImportStoppedError, type KvStateMachine } from "../../src/kv/index.js";
import { silentLogger } from "../../src/node/logger.js";
import { openKvStateMachine } from "../../src/node/open-kv.js";
import {
  type DataDir,
  listSnapshotFiles,
  openDataDir,
  readSnapshotFile,
  StorageError,
  writeSnapshotFile,
} from "../../src/storage/index.js";
import { makeTempDir } from "../storage/helpers.js";

const ID = { name: "n1", clusterId: 1, memberId: 1 };
const log = silentLogger();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh(): Promise<{ dir: string; dataDir: DataDir; kv: KvStateMachine }> {
  const temp = await makeTempDir("import");
  cleanups.push(temp.remove);
  const dir = join(temp.dir, "data");
  const dataDir = await openDataDir(dir, { ...ID, create: true });
  const kv = await openKvStateMachine(dataDir);
  return { dir, dataDir, kv };
}

async function putMany(kv: KvStateMachine, from: number, n: number): Promise<void> {
  const entries = [];
  for (let i = 0; i < n; i++) {
    const index = kv.appliedIndex + 1 + i;
    const request = {
      key: Buffer.from(`key-${from + i}`),
      value: Buffer.alloc(200, i),
      lease: 0,
      prevKv: false,
      ignoreValue: false,
      ignoreLease: false,
    };
    entries.push({ index, data: encodeCommand(BigInt(index), "put", request) });
  }
  await kv.apply(entries);
}

/** Import `path`, but fail after `chunks` chunks, as a kill would stop it. */
async function interruptedImport(kv: KvStateMachine, path: string, chunks: number): Promise<void> {
  async function* cut(): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const chunk of readSnapshotFile(path)) {
      if (n++ === chunks) throw new Error("killed");
      yield chunk;
    }
  }
  await expect(kv.importSnapshot(cut())).rejects.toThrow("killed");
  expect(kv.incompleteImport).toBe(true);
}

/**
 * A store with `puts` keys, a snapshot of it staged, 10 puts more (which the import wipes), then
 * an import that `cut` stops part-way; the store and data dir are closed after.
 */
async function cutShortInstall(
  puts: number,
  cut: (kv: KvStateMachine, path: string) => Promise<void>,
): Promise<{ dir: string; applied: number; hash: number }> {
  const { dir, dataDir, kv } = await fresh();
  await putMany(kv, 0, puts);
  const hash = await kv.hashKV();
  const applied = kv.appliedIndex;
  const path = await writeSnapshotFile(dataDir.snapDir, applied, kv.exportSnapshot());
  await putMany(kv, 5000, 10); // state that the snapshot does not hold, wiped by the import
  await cut(kv, path);
  await kv.close();
  await dataDir.close();
  return { dir, applied, hash };
}

/** The next open holds exactly the snapshot's state, the import finished. */
async function expectReopened(dir: string, applied: number, hash: number): Promise<void> {
  const again = await openDataDir(dir, { ...ID, create: false });
  const recovered = await openKvStateMachine(again, { logFloor: applied - 100, log });
  expect(recovered.incompleteImport).toBe(false);
  expect(recovered.appliedIndex).toBe(applied);
  expect(await recovered.hashKV()).toBe(hash);
  await recovered.close();
  await again.close();
}

describe("an interrupted snapshot install", () => {
  it("is finished at the next open from the staged snapshot file", async () => {
    const { dir, applied, hash } = await cutShortInstall(2000, async (kv, path) => {
      await interruptedImport(kv, path, 2);
    });
    await expectReopened(dir, applied, hash);
  });

  it("refuses to start, saying what to do, when no snapshot file reaches the log", async () => {
    const { dir, dataDir, kv } = await fresh();
    await putMany(kv, 0, 500);
    const path = await writeSnapshotFile(dataDir.snapDir, kv.appliedIndex, kv.exportSnapshot());
    await interruptedImport(kv, path, 0);
    await kv.close();
    await dataDir.close();

    const again = await openDataDir(dir, { ...ID, create: false });
    cleanups.push(() => again.close());
    // The Raft log starts above the only file: importing it would leave a gap nothing can fill.
    const err = await openKvStateMachine(again, { logFloor: 10_000, log }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe("RAFTKV_CORRUPT_STORE");
    expect((err as Error).message).toMatch(/interrupted snapshot import.*remove this member's data dir/);
    expect(await listSnapshotFiles(again.snapDir)).toHaveLength(1);
  });

  // A member shutting down (SIGTERM, or removed from the cluster) while it installs a snapshot:
  // the node asks the import to stop, so the data dir never closes under a running batch or
  // iterator (which surfaced as a fatal "Iterator is not open" at shutdown).
  async function stoppedImport(kv: KvStateMachine, path: string, stopAfterChunks: number): Promise<void> {
    async function* chunks(): AsyncGenerator<Buffer> {
      let n = 0;
      for await (const chunk of readSnapshotFile(path)) {
        if (n++ === stopAfterChunks) kv.stopImports();
        yield chunk;
      }
      kv.stopImports(); // once every byte was read: the key index rebuild is what remains
    }
    await expect(kv.importSnapshot(chunks())).rejects.toBeInstanceOf(ImportStoppedError);
  }

  it("stopped by the shutdown while streaming, is finished at the next open", async () => {
    const { dir, applied, hash } = await cutShortInstall(3000, async (kv, path) => {
      await stoppedImport(kv, path, 1);
      expect(kv.incompleteImport).toBe(true);
    });
    await expectReopened(dir, applied, hash);
  });

  it("stopped by the shutdown while rebuilding the key index, opens whole at the next start", async () => {
    const { dir, applied, hash } = await cutShortInstall(3000, async (kv, path) => {
      await stoppedImport(kv, path, Number.POSITIVE_INFINITY);
      // Every byte is imported (the marker is gone); only the in-memory index was being rebuilt.
      expect(kv.incompleteImport).toBe(false);
    });
    await expectReopened(dir, applied, hash);
  });

  it("refuses to start once the shutdown stopped imports", async () => {
    const { dataDir, kv } = await fresh();
    cleanups.push(() => dataDir.close());
    await putMany(kv, 0, 100);
    const path = await writeSnapshotFile(dataDir.snapDir, kv.appliedIndex, kv.exportSnapshot());
    const hash = await kv.hashKV();
    kv.stopImports();
    await expect(kv.importSnapshot(readSnapshotFile(path))).rejects.toBeInstanceOf(ImportStoppedError);
    // Nothing was touched: the store still serves what it held.
    expect(kv.incompleteImport).toBe(false);
    expect(await kv.hashKV()).toBe(hash);
    await kv.close();
  });
});
