// A full disk: a tmpfs of 2 MiB mounted for the test (needs root / CAP_SYS_ADMIN; skipped with the
// reason otherwise). The save that hits ENOSPC and every later write are held, not failed (a
// write after a failed LevelDB log append can be lost: disk-space.ts); once space is freed the
// store reopens itself, the held saves complete in order, and a restart finds every one.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry } from "../../src/raft/types.js";
import { openDataDir, writeSnapshotFile } from "../../src/storage/index.js";
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

  it("holds the save that hit ENOSPC and every later one until space is back, then writes them; nothing acknowledged is lost", async (ctx) => {
    if (!mounted) ctx.skip(cannotMount);
    const dir = join(mountPoint, "data");
    const dataDir = await openDataDir(dir, { ...ID, create: true });
    const full = async (stop: { done: boolean }): Promise<"full"> => {
      while (!stop.done && dataDir.space.status.state !== "full") await new Promise((r) => setTimeout(r, 5));
      return "full";
    };
    let acknowledged = 0;
    let held: Promise<void> | null = null;
    for (let batch = 0; batch < 1_000 && held === null; batch++) {
      const entries: Entry[] = [];
      for (let i = 1; i <= 64; i++) {
        entries.push({ index: acknowledged + i, term: 1, type: "normal", data: randomBytes(1024) });
      }
      const save = dataDir.raftLog.save({
        hardState: { term: 1, vote: 1, commit: acknowledged + 64 },
        entries,
        snapshot: null,
      });
      const stop = { done: false };
      const outcome = await Promise.race([save.then(() => "saved" as const), full(stop)]);
      stop.done = true;
      if (outcome === "saved") acknowledged += 64;
      else held = save;
    }
    expect(held).not.toBeNull();
    expect(acknowledged).toBeGreaterThan(0);
    expect(dataDir.space.status.reason).toMatch(/No space left on device/);

    // A later write waits too, even a small one, while recovery finds no room and tries again.
    const later = dataDir.raftLog.save({
      hardState: { term: 2, vote: 1, commit: acknowledged + 64 },
      entries: [],
      snapshot: null,
    });
    const settled: string[] = [];
    held!.then(() => settled.push("held"));
    later.then(() => settled.push("later"));
    while (dataDir.space.status.attempts < 3) await new Promise((r) => setTimeout(r, 20));
    expect(settled).toEqual([]);

    // A snapshot file that does not fit is refused, and no temp file is left.
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 8; i++) yield randomBytes(512 * 1024);
    }
    await expect(writeSnapshotFile(dataDir.snapDir, 10, big())).rejects.toMatchObject({
      code: "RAFTKV_STORAGE_IO",
    });
    expect(await readdir(dataDir.snapDir)).toEqual([]);

    // Free space: the store reopens by itself and the held writes complete, in order.
    execFileSync("mount", ["-o", "remount,size=64m", mountPoint], { stdio: "pipe" });
    await held;
    await later;
    expect(settled).toEqual(["held", "later"]);
    expect(dataDir.space.status.state).toBe("ok");
    acknowledged += 64;
    await dataDir.raftLog.save({
      hardState: null,
      entries: [{ index: acknowledged + 1, term: 2, type: "normal", data: new Uint8Array(1) }],
      snapshot: null,
    });
    acknowledged += 1;
    await dataDir.close();

    // Every acknowledged entry is there after a restart.
    const again = await openDataDir(dir, { ...ID, create: false });
    const loaded = await again.raftLog.load();
    expect(loaded.entries.length).toBe(acknowledged);
    expect(loaded.hardState).toMatchObject({ term: 2, commit: acknowledged - 1 });
    await again.close();
  });
});
