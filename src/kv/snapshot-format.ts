// The KV snapshot stream: the LevelDB entries of the KV keyspace, framed and checksummed.
//
//   "RKVS" | version u8 (2; 1 is read too)
//   per entry:  key length u32 | value length u32 | key | value
//   trailer:    0xFFFFFFFF | entry count u32 | crc32 u32 of every byte before it
//
// Version 2 (auth) may hold the "a" keyspace (users, roles, auth revision; layout.ts); version 1,
// written before auth existed, cannot, and reads as a store with auth never configured. The
// framing is the same. A reader older than version 2 refuses a version 2 stream by its version
// byte rather than failing on an unknown key.
//
// All integers big-endian. The stream is cut into chunks of SNAPSHOT_CHUNK_BYTES regardless of
// entry boundaries.

import { crc32 } from "./crc32.js";

export const SNAPSHOT_MAGIC = Buffer.from("RKVS", "latin1");
export const SNAPSHOT_VERSION = 2;
/** Versions readSnapshot accepts. */
export const SNAPSHOT_VERSIONS_READ: readonly number[] = [1, 2];
export const SNAPSHOT_CHUNK_BYTES = 64 * 1024;
const END_MARK = 0xffffffff;

/** Frames entries and cuts the bytes into chunks; holds at most one entry plus one chunk. */
export class SnapshotWriter {
  #parts: Buffer[] = [];
  #bytes = 0;
  #crc = 0;
  #entries = 0;

  constructor() {
    this.#push(Buffer.concat([SNAPSHOT_MAGIC, Buffer.of(SNAPSHOT_VERSION)]));
  }

  /** Adds one entry; returns the chunks now complete. */
  add(key: Buffer, value: Buffer): Buffer[] {
    const lengths = Buffer.allocUnsafe(8);
    lengths.writeUInt32BE(key.length, 0);
    lengths.writeUInt32BE(value.length, 4);
    this.#push(lengths);
    this.#push(key);
    this.#push(value);
    this.#entries++;
    return this.#bytes >= SNAPSHOT_CHUNK_BYTES ? this.#cut(false) : [];
  }

  /** Writes the trailer; returns the last chunks. */
  finish(): Buffer[] {
    const mark = Buffer.allocUnsafe(8);
    mark.writeUInt32BE(END_MARK, 0);
    mark.writeUInt32BE(this.#entries >>> 0, 4);
    this.#push(mark);
    const sum = Buffer.allocUnsafe(4);
    sum.writeUInt32BE(this.#crc, 0);
    this.#parts.push(sum);
    this.#bytes += 4;
    return this.#cut(true);
  }

  #push(part: Buffer): void {
    this.#crc = crc32(part, this.#crc);
    this.#parts.push(part);
    this.#bytes += part.length;
  }

  #cut(all: boolean): Buffer[] {
    const joined = Buffer.concat(this.#parts, this.#bytes);
    const chunks: Buffer[] = [];
    let at = 0;
    while (joined.length - at >= SNAPSHOT_CHUNK_BYTES) {
      chunks.push(joined.subarray(at, at + SNAPSHOT_CHUNK_BYTES));
      at += SNAPSHOT_CHUNK_BYTES;
    }
    const rest = joined.subarray(at);
    if (all && rest.length > 0) chunks.push(rest);
    this.#parts = all || rest.length === 0 ? [] : [rest];
    this.#bytes = all ? 0 : rest.length;
    return chunks;
  }
}

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #parts: Buffer[] = [];
  #bytes = 0;
  #ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.#source = chunks[Symbol.asyncIterator]();
  }

  async read(length: number): Promise<Buffer> {
    while (this.#bytes < length) {
      const next = await this.#source.next();
      if (next.done) throw new Error(`raftkv: snapshot stream ends early (wanted ${length} more bytes)`);
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      this.#parts.push(chunk);
      this.#bytes += chunk.length;
    }
    const joined = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#bytes);
    const out = joined.subarray(0, length);
    const rest = joined.subarray(length);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#bytes = rest.length;
    return out;
  }

  /** True when nothing follows. */
  async atEnd(): Promise<boolean> {
    if (this.#bytes > 0) return false;
    while (!this.#ended) {
      const next = await this.#source.next();
      if (next.done) {
        this.#ended = true;
        break;
      }
      if (next.value.byteLength > 0) {
        this.#parts.push(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        this.#bytes += next.value.byteLength;
        return false;
      }
    }
    return true;
  }
}

/**
 * Reads a snapshot stream, handing each entry to `onEntry` (awaited: back-pressure), and checks
 * the trailer. Throws on a truncated, corrupt or foreign stream — after having handed out the
 * entries before the damage, so the importer must treat a throw as "store unusable".
 */
export async function readSnapshot(
  chunks: AsyncIterable<Uint8Array>,
  onEntry: (key: Buffer, value: Buffer) => void | Promise<void>,
): Promise<{ entries: number }> {
  const reader = new ByteReader(chunks);
  const head = await reader.read(SNAPSHOT_MAGIC.length + 1);
  if (!head.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new Error("raftkv: not a raftkv KV snapshot (bad magic)");
  }
  const version = head[SNAPSHOT_MAGIC.length]!;
  if (!SNAPSHOT_VERSIONS_READ.includes(version)) {
    throw new Error(
      `raftkv: KV snapshot version ${version} is not one of ${SNAPSHOT_VERSIONS_READ.join(", ")}`,
    );
  }
  let crc = crc32(head);
  let entries = 0;
  for (;;) {
    const lengths = await reader.read(8);
    crc = crc32(lengths, crc);
    const keyLength = lengths.readUInt32BE(0);
    if (keyLength === END_MARK) {
      const sum = (await reader.read(4)).readUInt32BE(0);
      if (lengths.readUInt32BE(4) !== entries >>> 0) {
        throw new Error(
          `raftkv: KV snapshot holds ${entries} entries, its trailer says ${lengths.readUInt32BE(4)}`,
        );
      }
      if (sum !== crc) throw new Error("raftkv: KV snapshot checksum mismatch");
      if (!(await reader.atEnd())) throw new Error("raftkv: bytes after the KV snapshot trailer");
      return { entries };
    }
    const key = await reader.read(keyLength);
    const value = await reader.read(lengths.readUInt32BE(4));
    crc = crc32(value, crc32(key, crc));
    entries++;
    await onEntry(key, value);
  }
}
