// A full disk: a tmpfs of 2 MiB mounted for the test (needs root / CAP_SYS_ADMIN; skipped with the
// reason otherwise). save() must reject with RAFTKV_STORAGE_IO, the store must refuse later writes,
// and after space is freed a reopen must find every acknowledged entry (the failed batch entirely
// or not at all).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry } from "../../src/raft/types.js";
import { openDataDir, StorageError, writeSnapshotFile } from "../../src/storage/index.js";
import { makeTempDir } from "./helpers.js";

const ID = { name: "n1", clusterId: 1, memberId: 1 };

describe("disk full", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let mountPoint: string;
  let mounted = false;
  let cannotMount = "";

  beforeAll(async () => {
    temp = await makeTempDir("diskfull");
    mountPoint = join(temp.dir, "mnt");
    await mkdir(mountPoint);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint], { stdio: "pipe" });
      mounted = true;
    } catch (err) {
      cannotMount = `cannot mount a tmpfs (not root?): ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`;
    }
  });

  afterAll(async () => {
    if (mounted) {
      try {
        execFileSync("umount", [mountPoint], { stdio: "pipe" });
      } catch {
        execFileSync("umount", ["-l", mountPoint], { stdio: "pipe" });
      }
    }
    await temp.remove();
  });

  it("rejects the save with RAFTKV_STORAGE_IO and loses nothing acknowledged", async (ctx) => {
    if (!mounted) ctx.skip(cannotMount);
    const dir = join(mountPoint, "data");
    const dataDir = await openDataDir(dir, { ...ID, create: true });
    let acknowledged = 0;
    let failure: unknown = null;
    for (let batch = 0; batch < 1_000 && failure === null; batch++) {
      const entries: Entry[] = [];
      for (let i = 1; i <= 64; i++) {
        entries.push({ index: acknowledged + i, term: 1, type: "normal", data: randomBytes(1024) });
      }
      try {
        await dataDir.raftLog.save({
          hardState: { term: 1, vote: 1, commit: acknowledged + 64 },
          entries,
          snapshot: null,
        });
        acknowledged += 64;
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ code: "RAFTKV_STORAGE_IO" });
    expect((failure as Error).message).toContain(join(dir, "db"));
    expect((failure as Error).message).toMatch(/No space left on device/);
    expect(acknowledged).toBeGreaterThan(0);

    // The store is failed: later writes are refused too, even small ones.
    await expect(
      dataDir.raftLog.save({
        hardState: { term: 2, vote: 1, commit: acknowledged },
        entries: [],
        snapshot: null,
      }),
    ).rejects.toMatchObject({ code: "RAFTKV_STORAGE_IO" });

    // A snapshot file that does not fit is refused, and no temp file is left.
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 8; i++) yield randomBytes(512 * 1024);
    }
    await expect(writeSnapshotFile(dataDir.snapDir, 10, big())).rejects.toMatchObject({
      code: "RAFTKV_STORAGE_IO",
    });
    expect(await readdir(dataDir.snapDir)).toEqual([]);
    await dataDir.close();

    // Free space, restart: every acknowledged entry is there; the failed batch is all or nothing.
    execFileSync("mount", ["-o", "remount,size=64m", mountPoint], { stdio: "pipe" });
    const again = await openDataDir(dir, { ...ID, create: false });
    const loaded = await again.raftLog.load();
    const last = loaded.entries.length;
    expect([acknowledged, acknowledged + 64]).toContain(last);
    expect(loaded.hardState.commit).toBe(last);
    // And it takes writes again.
    await again.raftLog.save({
      hardState: null,
      entries: [{ index: last + 1, term: 1, type: "normal", data: new Uint8Array(1) }],
      snapshot: null,
    });
    await again.close();
  });
});
