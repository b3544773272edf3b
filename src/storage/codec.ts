// Binary encoding of the Raft keyspace (pure functions; no I/O).
//
// Keys (in the root LevelDB keyspace; sublevels such as the KV state machine's "!kv!" start with
// 0x21 and never collide with these):
//   0x01 0x01                   identity     {format version, name, cluster ID, member ID}
//   0x01 0x02                   hard state   {term, vote, commit}
//   0x01 0x03                   snapshot meta {index, term, voters, learners}
//   0x01 0x04                   log start    {index, term} of the entry just before the first stored one
//   0x02 <index: u64 BE>        log entry
//
// Every value starts with a CRC-32 (zlib) over the key followed by the rest of the value, so a
// flipped bit, a truncated value or a value stored under the wrong key is detected on load.
// Entry value: crc32 (4) | term (8, BE) | type (1: 0 normal, 1 confChange) | data.
// Integers are below 2^53 (see src/raft/types.ts) and stored as unsigned 64-bit big-endian.

import { crc32 } from "node:zlib";
import type { ConfState, Entry, EntryType, HardState, NodeId, SnapshotMeta } from "../raft/types.js";

export const FORMAT_VERSION = 1;

export const KEY_IDENTITY: Buffer = Buffer.from([0x01, 0x01]);
export const KEY_HARD_STATE: Buffer = Buffer.from([0x01, 0x02]);
export const KEY_SNAPSHOT_META: Buffer = Buffer.from([0x01, 0x03]);
export const KEY_LOG_START: Buffer = Buffer.from([0x01, 0x04]);

export const ENTRY_KEY_PREFIX = 0x02;
export const ENTRY_KEY_BYTES = 9;
/** Lower and upper bounds of the entry keyspace, for iterators (`gte` / `lt`). */
export const ENTRY_KEY_MIN: Buffer = Buffer.from([ENTRY_KEY_PREFIX]);
export const ENTRY_KEY_END: Buffer = Buffer.from([ENTRY_KEY_PREFIX + 1]);

const CRC_BYTES = 4;
const ENTRY_HEADER_BYTES = CRC_BYTES + 8 + 1;
const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a safe integer (2^53 - 1 = 0x1f_ffff_ffff_ffff). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

/** A record that does not decode; the store turns it into a StorageError naming the record. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

export interface LogStart {
  /** Index and term of the last entry no longer stored (0, 0 for a log that starts at 1). */
  readonly index: number;
  readonly term: number;
}

export interface StoredIdentity {
  readonly formatVersion: number;
  readonly name: string;
  readonly clusterId: number;
  readonly memberId: number;
  /** The --cluster-token the data dir was created with (absent in data dirs written before). */
  readonly clusterToken?: string;
}

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buf: Buffer, offset: number, what: string): number {
  const high = buf.readUInt32BE(offset);
  if (high > MAX_SAFE_HIGH_WORD) throw new DecodeError(`${what} exceeds 2^53`);
  return high * TWO_POW_32 + buf.readUInt32BE(offset + 4);
}

function checkU64(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

export function entryKey(index: number): Buffer {
  const key = Buffer.allocUnsafe(ENTRY_KEY_BYTES);
  key[0] = ENTRY_KEY_PREFIX;
  writeU64(key, index, 1);
  return key;
}

export function isEntryKey(key: Buffer): boolean {
  return key.length === ENTRY_KEY_BYTES && key[0] === ENTRY_KEY_PREFIX;
}

export function entryKeyIndex(key: Buffer): number {
  if (!isEntryKey(key)) throw new DecodeError(`bad entry key ${key.toString("hex")}`);
  return readU64(key, 1, "entry index");
}

function checksum(key: Buffer, value: Buffer): number {
  return crc32(value.subarray(CRC_BYTES), crc32(key));
}

function seal(key: Buffer, value: Buffer): Buffer {
  value.writeUInt32BE(checksum(key, value), 0);
  return value;
}

function verify(key: Buffer, value: Buffer, what: string): void {
  if (value.length < CRC_BYTES) throw new DecodeError(`${what}: value of ${value.length} bytes is truncated`);
  const stored = value.readUInt32BE(0);
  const actual = checksum(key, value);
  if (stored !== actual) {
    throw new DecodeError(
      `${what}: checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`,
    );
  }
}

const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, confChange: 1 };

/** Encode an entry as [key, value]. Hot path: one allocation per key and per value. */
export function encodeEntry(entry: Entry): [Buffer, Buffer] {
  const key = entryKey(entry.index);
  checkU64(entry.term, `term of entry ${entry.index}`);
  const value = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + entry.data.byteLength);
  writeU64(value, entry.term, CRC_BYTES);
  value[CRC_BYTES + 8] = ENTRY_TYPE_CODES[entry.type];
  value.set(entry.data, ENTRY_HEADER_BYTES);
  return [key, seal(key, value)];
}

/** Decode and verify an entry. `data` is a view into `value` (no copy). */
export function decodeEntry(key: Buffer, value: Buffer): Entry {
  const index = entryKeyIndex(key);
  const what = `entry ${index}`;
  verify(key, value, what);
  if (value.length < ENTRY_HEADER_BYTES)
    throw new DecodeError(`${what}: value of ${value.length} bytes is truncated`);
  const term = readU64(value, CRC_BYTES, `${what} term`);
  const typeCode = value[CRC_BYTES + 8];
  let type: EntryType;
  if (typeCode === 0) type = "normal";
  else if (typeCode === 1) type = "confChange";
  else throw new DecodeError(`${what}: unknown entry type ${typeCode}`);
  return { index, term, type, data: value.subarray(ENTRY_HEADER_BYTES) };
}

export function encodeHardState(hs: HardState): Buffer {
  checkU64(hs.term, "hardState.term");
  checkU64(hs.vote, "hardState.vote");
  checkU64(hs.commit, "hardState.commit");
  const value = Buffer.allocUnsafe(CRC_BYTES + 24);
  writeU64(value, hs.term, 4);
  writeU64(value, hs.vote, 12);
  writeU64(value, hs.commit, 20);
  return seal(KEY_HARD_STATE, value);
}

export function decodeHardState(value: Buffer): HardState {
  verify(KEY_HARD_STATE, value, "hard state");
  if (value.length !== CRC_BYTES + 24) throw new DecodeError(`hard state: bad length ${value.length}`);
  return {
    term: readU64(value, 4, "hard state term"),
    vote: readU64(value, 12, "hard state vote"),
    commit: readU64(value, 20, "hard state commit"),
  };
}

export function encodeLogStart(start: LogStart): Buffer {
  checkU64(start.index, "log start index");
  checkU64(start.term, "log start term");
  const value = Buffer.allocUnsafe(CRC_BYTES + 16);
  writeU64(value, start.index, 4);
  writeU64(value, start.term, 12);
  return seal(KEY_LOG_START, value);
}

export function decodeLogStart(value: Buffer): LogStart {
  verify(KEY_LOG_START, value, "log start");
  if (value.length !== CRC_BYTES + 16) throw new DecodeError(`log start: bad length ${value.length}`);
  return { index: readU64(value, 4, "log start index"), term: readU64(value, 12, "log start term") };
}

export function encodeSnapshotMeta(meta: SnapshotMeta): Buffer {
  checkU64(meta.index, "snapshot index");
  checkU64(meta.term, "snapshot term");
  const { voters, learners } = meta.confState;
  const value = Buffer.allocUnsafe(CRC_BYTES + 16 + 4 + voters.length * 8 + 4 + learners.length * 8);
  writeU64(value, meta.index, 4);
  writeU64(value, meta.term, 12);
  let offset = 20;
  for (const ids of [voters, learners]) {
    value.writeUInt32BE(ids.length, offset);
    offset += 4;
    for (const id of ids) {
      checkU64(id, "node ID in confState");
      writeU64(value, id, offset);
      offset += 8;
    }
  }
  return seal(KEY_SNAPSHOT_META, value);
}

export function decodeSnapshotMeta(value: Buffer): SnapshotMeta {
  verify(KEY_SNAPSHOT_META, value, "snapshot meta");
  const readIds = (offset: number): [NodeId[], number] => {
    if (offset + 4 > value.length) throw new DecodeError("snapshot meta: truncated");
    const count = value.readUInt32BE(offset);
    const end = offset + 4 + count * 8;
    if (end > value.length) throw new DecodeError("snapshot meta: truncated node ID list");
    const ids: NodeId[] = [];
    for (let at = offset + 4; at < end; at += 8) ids.push(readU64(value, at, "snapshot meta node ID"));
    return [ids, end];
  };
  if (value.length < CRC_BYTES + 16) throw new DecodeError(`snapshot meta: bad length ${value.length}`);
  const index = readU64(value, 4, "snapshot index");
  const term = readU64(value, 12, "snapshot term");
  const [voters, afterVoters] = readIds(20);
  const [learners, end] = readIds(afterVoters);
  if (end !== value.length) throw new DecodeError(`snapshot meta: ${value.length - end} trailing bytes`);
  const confState: ConfState = { voters, learners };
  return { index, term, confState };
}

export function encodeIdentity(identity: StoredIdentity): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      name: identity.name,
      clusterId: identity.clusterId,
      memberId: identity.memberId,
      ...(identity.clusterToken === undefined ? {} : { clusterToken: identity.clusterToken }),
    }),
  );
  const value = Buffer.allocUnsafe(CRC_BYTES + 4 + json.length);
  value.writeUInt32BE(identity.formatVersion, 4);
  json.copy(value, 8);
  return seal(KEY_IDENTITY, value);
}

export function decodeIdentity(value: Buffer): StoredIdentity {
  verify(KEY_IDENTITY, value, "identity");
  if (value.length < CRC_BYTES + 4) throw new DecodeError(`identity: bad length ${value.length}`);
  const formatVersion = value.readUInt32BE(4);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.subarray(8).toString("utf8"));
  } catch (err) {
    throw new DecodeError(`identity: ${(err as Error).message}`);
  }
  const { name, clusterId, memberId, clusterToken } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof name !== "string" || typeof clusterId !== "number" || typeof memberId !== "number") {
    throw new DecodeError("identity: missing name, clusterId or memberId");
  }
  if (typeof clusterToken === "string") return { formatVersion, name, clusterId, memberId, clusterToken };
  return { formatVersion, name, clusterId, memberId };
}
