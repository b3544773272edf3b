import { copyFile, mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataDirExists, openDataDir, restoreMemoryStorage, StorageError } from "../../src/storage/index.js";
import { shutdownMarkerPath } from "../../src/storage/shutdown-marker.js";
import { ents, makeTempDir } from "./helpers.js";

const ID = { name: "node-a", clusterId: 0xc1, memberId: 11 };

describe("data dir", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let dir: string;

  beforeEach(async () => {
    temp = await makeTempDir("datadir");
    dir = join(temp.dir, "data");
  });
  afterEach(() => temp.remove());

  it("is created once, then reopened with the same identity", async () => {
    expect(await dataDirExists(dir)).toBe(false);
    const first = await openDataDir(dir, { ...ID, create: true });
    expect([first.created, first.identity]).toEqual([true, { ...ID, formatVersion: 1 }]);
    expect(first.snapDir).toBe(join(dir, "snap"));
    await first.close();
    expect(await dataDirExists(dir)).toBe(true);
    const again = await openDataDir(dir, { ...ID, create: false });
    expect(again.created).toBe(false);
    await again.close();
  });

  it("refuses to open a missing data dir without create", async () => {
    await expect(openDataDir(dir, { ...ID, create: false })).rejects.toMatchObject({
      code: "RAFTKV_DATA_DIR_NOT_FOUND",
    });
  });

  it.each([
    ["another name", { name: "node-b" }, /member name "node-a", not "node-b"/],
    ["another cluster", { clusterId: 0xc2 }, /cluster ID 193, not 194/],
    ["another member ID", { memberId: 12 }, /member ID 11, not 12/],
  ])("refuses %s", async (_what, override, message) => {
    await (await openDataDir(dir, { ...ID, create: true })).close();
    const err = await openDataDir(dir, { ...ID, ...override, create: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: "RAFTKV_DATA_DIR_MISMATCH" });
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toMatch(message);
    // The refused open released the LevelDB lock.
    await (await openDataDir(dir, { ...ID, create: false })).close();
  });

  it("takes the stored member ID when the caller does not know it (0)", async () => {
    await (await openDataDir(dir, { ...ID, create: true })).close();
    const dataDir = await openDataDir(dir, { ...ID, memberId: 0, create: false });
    expect(dataDir.identity.memberId).toBe(11);
    await dataDir.close();
  });

  it("is locked while open", async () => {
    const dataDir = await openDataDir(dir, { ...ID, create: true });
    await expect(openDataDir(dir, { ...ID, create: true })).rejects.toMatchObject({
      code: "RAFTKV_DATA_DIR_LOCKED",
    });
    await dataDir.close();
  });

  it("shares one LevelDB between the Raft log and the KV sublevel, atomically if asked", async () => {
    const dataDir = await openDataDir(dir, { ...ID, create: true });
    await dataDir.raftLog.save({
      hardState: { term: 1, vote: 11, commit: 3 },
      entries: ents(1, 3, 1),
      snapshot: null,
    });
    await dataDir.kv.put(Buffer.from("k1"), Buffer.from("v1"));
    await dataDir.db.batch([
      { type: "put", sublevel: dataDir.kv, key: Buffer.from("k2"), value: Buffer.from("v2") },
      { type: "put", sublevel: dataDir.kv, key: Buffer.from("applied"), value: Buffer.from([0, 3]) },
    ]);
    await dataDir.close();
    const again = await openDataDir(dir, { ...ID, create: false });
    const kv = await again.kv.iterator().all();
    expect(kv.map(([k, v]) => [k.toString(), [...v]])).toEqual([
      ["applied", [0, 3]],
      ["k1", [...Buffer.from("v1")]],
      ["k2", [...Buffer.from("v2")]],
    ]);
    const ms = restoreMemoryStorage(await again.raftLog.load());
    expect([ms.lastIndex(), ms.hardState().commit]).toEqual([3, 3]);
    await again.close();
  });

  it("refuses a LevelDB dir with tables but no CURRENT file instead of creating an empty store over it", async () => {
    await mkdir(join(dir, "db"), { recursive: true });
    await writeFile(join(dir, "db", "000005.ldb"), "x");
    expect(await dataDirExists(dir)).toBe(true);
    await expect(openDataDir(dir, { ...ID, create: true })).rejects.toMatchObject({
      code: "RAFTKV_CORRUPT_STORE",
    });
  });

  it("refuses a store that lost synced data since its clean shutdown (compared with the marker)", async () => {
    const dataDir = await openDataDir(dir, { ...ID, create: true });
    await dataDir.raftLog.save({
      hardState: { term: 1, vote: 11, commit: 1 },
      entries: ents(1, 3, 1),
      snapshot: null,
    });
    await dataDir.close();
    // A marker from a longer log (as if the .log file lost its tail after the shutdown).
    const other = join(temp.dir, "other");
    const longer = await openDataDir(other, { ...ID, create: true });
    await longer.raftLog.save({
      hardState: { term: 1, vote: 11, commit: 1 },
      entries: ents(1, 5, 1),
      snapshot: null,
    });
    await longer.close();
    await copyFile(shutdownMarkerPath(other), shutdownMarkerPath(dir));
    const err = await openDataDir(dir, { ...ID, create: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RAFTKV_CORRUPT_STORE" });
    expect((err as Error).message).toMatch(/last index 5 at shutdown, 3 now/);
  });

  it("removes the marker on open, so a crash afterwards is not compared with it", async () => {
    await (await openDataDir(dir, { ...ID, create: true })).close();
    const dataDir = await openDataDir(dir, { ...ID, create: false });
    expect(await dataDirExists(dir)).toBe(true);
    await expect(stat(shutdownMarkerPath(dir))).rejects.toMatchObject({ code: "ENOENT" });
    await dataDir.close();
    await stat(shutdownMarkerPath(dir));
  });

  it("refuses bad arguments with TypeError", async () => {
    await expect(openDataDir(dir, { ...ID, name: "", create: true })).rejects.toThrow(TypeError);
    await expect(openDataDir(dir, { ...ID, clusterId: -1, create: true })).rejects.toThrow(TypeError);
  });
});
