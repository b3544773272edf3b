import { randomBytes } from "node:crypto";
import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  listSnapshotFiles,
  readSnapshotFile,
  removeSnapshotFilesBelow,
  removeSnapshotTemps,
  snapshotFileInfo,
  snapshotFileName,
  writeSnapshotFile,
} from "../../src/storage/index.js";
import { FRAME_BYTES_MAX } from "../../src/storage/snapshot-file.js";
import { makeTempDir } from "./helpers.js";

async function* chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function readAll(path: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of readSnapshotFile(path)) out.push(chunk);
  return out;
}

describe("snapshot files", () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    temp = await makeTempDir("snap");
  });
  afterEach(() => temp.remove());

  it("round-trips chunks of any size, in frames of at most FRAME_BYTES_MAX", async () => {
    const parts = [randomBytes(10), new Uint8Array(0), randomBytes(3 * FRAME_BYTES_MAX + 5), randomBytes(1)];
    const path = await writeSnapshotFile(temp.dir, 42, chunksOf(...parts));
    expect(path).toBe(join(temp.dir, snapshotFileName(42)));
    expect(await readdir(temp.dir)).toEqual([snapshotFileName(42)]);
    const frames = await readAll(path);
    expect(frames.every((f) => f.length > 0 && f.length <= FRAME_BYTES_MAX)).toBe(true);
    expect(Buffer.concat(frames).equals(Buffer.concat(parts))).toBe(true);
    expect(await snapshotFileInfo(path)).toMatchObject({ index: 42, payloadBytes: 3 * FRAME_BYTES_MAX + 16 });
  });

  it("lists complete files newest first and removes those below an index", async () => {
    for (const index of [7, 300, 42]) await writeSnapshotFile(temp.dir, index, chunksOf(randomBytes(8)));
    await writeFile(join(temp.dir, `${snapshotFileName(900)}.tmp-abc`), "partial");
    await writeFile(join(temp.dir, "notes.txt"), "x");
    expect((await listSnapshotFiles(temp.dir)).map((f) => f.index)).toEqual([300, 42, 7]);
    expect(await removeSnapshotFilesBelow(temp.dir, 42)).toBe(1);
    expect((await listSnapshotFiles(temp.dir)).map((f) => f.index)).toEqual([300, 42]);
    expect(await readdir(temp.dir)).toContain("notes.txt");
  });

  it("coalesces small chunks", async () => {
    const parts = Array.from({ length: 1000 }, () => randomBytes(100));
    const path = await writeSnapshotFile(temp.dir, 1, chunksOf(...parts));
    const info = await snapshotFileInfo(path);
    expect(info.frames).toBe(1);
    expect(Buffer.concat(await readAll(path)).equals(Buffer.concat(parts))).toBe(true);
  });

  it("writes an empty snapshot", async () => {
    const path = await writeSnapshotFile(temp.dir, 7, chunksOf());
    expect(await readAll(path)).toEqual([]);
  });

  it("rejects a truncated file before yielding anything", async () => {
    const path = await writeSnapshotFile(temp.dir, 9, chunksOf(randomBytes(600_000), randomBytes(600_000)));
    const size = (await stat(path)).size;
    for (const keep of [0, 10, 30, Math.floor(size / 2), size - 1]) {
      const copy = join(temp.dir, `cut-${keep}`);
      await writeFile(copy, (await readFile(path)).subarray(0, keep));
      const it = readSnapshotFile(copy)[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: "RAFTKV_CORRUPT_SNAPSHOT" });
    }
    await truncate(path, size - 1);
    await expect(snapshotFileInfo(path)).rejects.toThrow(/truncated|size/);
  });

  it("rejects a flipped byte in the data, the header or the trailer", async () => {
    const data = randomBytes(2 * FRAME_BYTES_MAX);
    const path = await writeSnapshotFile(temp.dir, 5, chunksOf(data));
    const original = await readFile(path);
    for (const at of [3, 20, 100, FRAME_BYTES_MAX + 50, original.length - 10]) {
      const bad = Buffer.from(original);
      bad[at]! ^= 0x10;
      const copy = join(temp.dir, `flip-${at}`);
      await writeFile(copy, bad);
      const err = await readAll(copy).catch((e: unknown) => e);
      expect(err, `flip at ${at}`).toMatchObject({ code: "RAFTKV_CORRUPT_SNAPSHOT" });
      expect((err as Error).message).toContain(copy);
    }
  });

  it("leaves nothing behind when the source fails, and passes its error on", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1000);
      throw new Error("peer went away");
    }
    await expect(writeSnapshotFile(temp.dir, 3, failing())).rejects.toThrow("peer went away");
    expect(await readdir(temp.dir)).toEqual([]);
  });

  it("removes temp files left by a crash", async () => {
    await writeFile(join(temp.dir, `${snapshotFileName(8)}.tmp-abc`), "partial");
    await writeSnapshotFile(temp.dir, 9, chunksOf(randomBytes(5)));
    expect(await removeSnapshotTemps(temp.dir)).toBe(1);
    expect(await readdir(temp.dir)).toEqual([snapshotFileName(9)]);
  });
});
