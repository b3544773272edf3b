// Snapshot files in the snap dir: what the transport streams in from a leader (and out to a
// follower), written to a temp file, fsynced, then renamed into place, so a file under its final
// name is always complete.
//
// Layout (integers big-endian):
//   header  (24 B): magic "RKVSNAP1" | format version u32 | reserved u32 | snapshot index u64
//   frames        : length u32 (1..FRAME_BYTES_MAX) | crc32(payload) u32 | payload
//   trailer (32 B): magic "RKVSEND1" | frame count u32 | payload bytes u64 |
//                   crc32(header + all payloads) u32 | crc32(preceding trailer bytes) u32 | reserved u32
// A reader checks the header and the trailer before yielding anything (a truncated file is
// rejected up front) and each frame's checksum before yielding that frame; memory stays bounded by
// one frame. The whole-file checksum is checked at the end: treat a snapshot as received only once
// the iteration has completed without error.

import { randomBytes } from "node:crypto";
import { type FileHandle, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { StorageError, wrapLevelError } from "./errors.js";

const HEADER_MAGIC = Buffer.from("RKVSNAP1", "latin1");
const TRAILER_MAGIC = Buffer.from("RKVSEND1", "latin1");
const SNAPSHOT_FILE_VERSION = 1;
const HEADER_BYTES = 24;
const TRAILER_BYTES = 32;
const FRAME_HEADER_BYTES = 8;
/** Largest frame payload; larger chunks are split. */
export const FRAME_BYTES_MAX = 1024 * 1024;
/** Small chunks are coalesced into frames of at least this many bytes. */
const FRAME_BYTES_TARGET = 256 * 1024;
const TWO_POW_32 = 0x1_0000_0000;
const TEMP_MARKER = ".tmp-";

export function snapshotFileName(index: number): string {
  return `${index.toString(16).padStart(16, "0")}.snap`;
}

export interface SnapshotFileInfo {
  readonly index: number;
  /** Bytes of snapshot data (without framing). */
  readonly payloadBytes: number;
  readonly frames: number;
}

function corruptSnapshot(path: string, what: string): StorageError {
  return new StorageError(
    "RAFTKV_CORRUPT_SNAPSHOT",
    `snapshot file ${path} is corrupt or truncated: ${what}`,
  );
}

/** Stream `chunks` to `<dir>/<index>.snap` (temp file, fsync, rename, fsync dir); returns the path. */
export async function writeSnapshotFile(
  dir: string,
  index: number,
  chunks: AsyncIterable<Uint8Array>,
): Promise<string> {
  if (!Number.isSafeInteger(index) || index < 1) throw new TypeError(`bad snapshot index ${index}`);
  const path = join(dir, snapshotFileName(index));
  const temp = `${path}${TEMP_MARKER}${randomBytes(6).toString("hex")}`;
  let fh: FileHandle | null = null;
  try {
    fh = await open(temp, "wx");
    const writer = new FrameWriter(fh, index);
    await writer.start();
    for await (const chunk of chunks) await writer.add(chunk);
    await writer.finish();
    await fh.sync();
    await fh.close();
    fh = null;
    await rename(temp, path);
    await syncDir(dir);
    return path;
  } catch (err) {
    await fh?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    if (err instanceof StorageError || err instanceof TypeError) throw err;
    if (typeof (err as { syscall?: unknown } | null)?.syscall === "string") {
      throw wrapLevelError(err, temp, "write snapshot file");
    }
    throw err; // the source of the chunks failed: pass its error on
  }
}

class FrameWriter {
  readonly #fh: FileHandle;
  readonly #header: Buffer;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frames = 0;
  #payloadBytes = 0;
  #crc: number;

  constructor(fh: FileHandle, index: number) {
    this.#fh = fh;
    const header = Buffer.alloc(HEADER_BYTES);
    HEADER_MAGIC.copy(header, 0);
    header.writeUInt32BE(SNAPSHOT_FILE_VERSION, 8);
    header.writeUInt32BE(Math.floor(index / TWO_POW_32), 16);
    header.writeUInt32BE(index >>> 0, 20);
    this.#header = header;
    this.#crc = crc32(header);
  }

  async start(): Promise<void> {
    await this.#writeAll([this.#header]);
  }

  async add(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.byteLength; at += FRAME_BYTES_MAX) {
      // Copy: the caller may reuse its buffer once add() returns.
      const piece = Buffer.from(chunk.subarray(at, at + FRAME_BYTES_MAX));
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
      if (this.#pendingBytes >= FRAME_BYTES_TARGET) await this.#flush();
    }
  }

  async finish(): Promise<void> {
    await this.#flush();
    const trailer = Buffer.alloc(TRAILER_BYTES);
    TRAILER_MAGIC.copy(trailer, 0);
    trailer.writeUInt32BE(this.#frames, 8);
    trailer.writeUInt32BE(Math.floor(this.#payloadBytes / TWO_POW_32), 12);
    trailer.writeUInt32BE(this.#payloadBytes >>> 0, 16);
    trailer.writeUInt32BE(this.#crc, 20);
    trailer.writeUInt32BE(crc32(trailer.subarray(0, 24)), 24);
    await this.#writeAll([trailer]);
  }

  async #flush(): Promise<void> {
    while (this.#pendingBytes > 0) {
      // Frames of at most FRAME_BYTES_MAX: take pieces while they fit (each piece alone fits).
      const take: Buffer[] = [];
      let bytes = 0;
      while (this.#pending.length > 0 && bytes + this.#pending[0]!.length <= FRAME_BYTES_MAX) {
        const piece = this.#pending.shift()!;
        take.push(piece);
        bytes += piece.length;
      }
      const payload = take.length === 1 ? take[0]! : Buffer.concat(take, bytes);
      this.#pendingBytes -= bytes;
      const frameHeader = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      frameHeader.writeUInt32BE(bytes, 0);
      frameHeader.writeUInt32BE(crc32(payload), 4);
      this.#crc = crc32(payload, this.#crc);
      this.#frames++;
      this.#payloadBytes += bytes;
      await this.#writeAll([frameHeader, payload]);
    }
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let remaining = buffers;
    while (remaining.length > 0) {
      const { bytesWritten } = await this.#fh.writev(remaining);
      remaining = skipBytes(remaining, bytesWritten);
    }
  }
}

function skipBytes(buffers: Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = bytes;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

interface Framing {
  readonly info: SnapshotFileInfo;
  readonly crc: number;
  readonly header: Buffer;
  readonly framesEnd: number;
}

async function readFraming(fh: FileHandle, path: string): Promise<Framing> {
  const size = (await fh.stat()).size;
  if (size < HEADER_BYTES + TRAILER_BYTES) throw corruptSnapshot(path, `only ${size} bytes`);
  const header = await readExactly(fh, HEADER_BYTES, 0);
  if (header.length < HEADER_BYTES || !header.subarray(0, 8).equals(HEADER_MAGIC)) {
    throw corruptSnapshot(path, "not a raftkv snapshot file (bad header magic)");
  }
  const version = header.readUInt32BE(8);
  if (version !== SNAPSHOT_FILE_VERSION) throw corruptSnapshot(path, `unknown format version ${version}`);
  const framesEnd = size - TRAILER_BYTES;
  const trailer = await readExactly(fh, TRAILER_BYTES, framesEnd);
  if (trailer.length < TRAILER_BYTES || !trailer.subarray(0, 8).equals(TRAILER_MAGIC)) {
    throw corruptSnapshot(path, "no trailer (the file is truncated)");
  }
  if (crc32(trailer.subarray(0, 24)) !== trailer.readUInt32BE(24))
    throw corruptSnapshot(path, "trailer checksum mismatch");
  const info: SnapshotFileInfo = {
    index: header.readUInt32BE(16) * TWO_POW_32 + header.readUInt32BE(20),
    frames: trailer.readUInt32BE(8),
    payloadBytes: trailer.readUInt32BE(12) * TWO_POW_32 + trailer.readUInt32BE(16),
  };
  const expectedSize = HEADER_BYTES + info.frames * FRAME_HEADER_BYTES + info.payloadBytes + TRAILER_BYTES;
  if (expectedSize !== size)
    throw corruptSnapshot(path, `size ${size} bytes, the trailer implies ${expectedSize}`);
  return { info, crc: trailer.readUInt32BE(20), header, framesEnd };
}

/** Check a snapshot file's header and trailer (not its frames); returns what they say. */
export async function snapshotFileInfo(path: string): Promise<SnapshotFileInfo> {
  const fh = await openForRead(path);
  try {
    return (await readFraming(fh, path)).info;
  } finally {
    await fh.close();
  }
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (err) {
    throw wrapLevelError(err, path, "open snapshot file");
  }
}

/**
 * The snapshot data of a file, one verified frame (<= FRAME_BYTES_MAX) at a time. Throws
 * RAFTKV_CORRUPT_SNAPSHOT before yielding anything when the file is truncated, and at the frame
 * (or at the end) where a checksum fails.
 */
export async function* readSnapshotFile(path: string): AsyncGenerator<Buffer, void, undefined> {
  const fh = await openForRead(path);
  try {
    const { info, crc: expectedCrc, header, framesEnd } = await readFraming(fh, path);
    let crc = crc32(header);
    let position = HEADER_BYTES;
    for (let frame = 0; frame < info.frames; frame++) {
      const frameHeader = await readExactly(fh, FRAME_HEADER_BYTES, position);
      const length = frameHeader.length === FRAME_HEADER_BYTES ? frameHeader.readUInt32BE(0) : 0;
      if (length === 0 || length > FRAME_BYTES_MAX || position + FRAME_HEADER_BYTES + length > framesEnd) {
        throw corruptSnapshot(path, `bad length of frame ${frame} at byte ${position}`);
      }
      const payload = await readExactly(fh, length, position + FRAME_HEADER_BYTES);
      if (payload.length !== length || crc32(payload) !== frameHeader.readUInt32BE(4)) {
        throw corruptSnapshot(path, `checksum mismatch in frame ${frame} at byte ${position}`);
      }
      crc = crc32(payload, crc);
      position += FRAME_HEADER_BYTES + length;
      yield payload;
    }
    if (position !== framesEnd || crc !== expectedCrc)
      throw corruptSnapshot(path, "whole-file checksum mismatch");
  } finally {
    await fh.close();
  }
}

/** Remove temp files left in the snap dir by writes interrupted by a crash. */
export async function removeSnapshotTemps(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    if (name.includes(TEMP_MARKER)) {
      await rm(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/** The complete snapshot files of the snap dir (`<index>.snap`), newest first. */
export async function listSnapshotFiles(dir: string): Promise<{ index: number; path: string }[]> {
  const files: { index: number; path: string }[] = [];
  for (const name of await readdir(dir)) {
    const m = /^([0-9a-f]{16})\.snap$/.exec(name);
    if (m === null) continue;
    files.push({ index: Number.parseInt(m[1]!, 16), path: join(dir, name) });
  }
  return files.sort((a, b) => b.index - a.index);
}

/** Remove the snapshot files older than `index` (once a newer one is installed and recorded). */
export async function removeSnapshotFilesBelow(dir: string, index: number): Promise<number> {
  let removed = 0;
  for (const f of await listSnapshotFiles(dir)) {
    if (f.index >= index) continue;
    await rm(f.path, { force: true });
    removed++;
  }
  return removed;
}
