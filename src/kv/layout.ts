// The KV keyspace in LevelDB (the database or sublevel given to KvStateMachine.open, used by it
// alone). Layout version 1:
//
//   "m" + name                          metadata: "format" (layout version), "applied" (consistent
//                                       index = last applied Raft index), "revision" (current),
//                                       "compacted" (compacted revision, 0 = never), "importing"
//                                       (present while a snapshot import is incomplete), "sync"
//                                       (empty; written synced by persist())
//   "r" + main u64 BE + sub u32 BE      every version of every key, by revision: a RECORD (below),
//                                       a put or a tombstone. Ordered by revision: watch replay
//                                       and compaction scan it.
//   "h" + esc(key) + 00 00 + main + sub one byte, 1 = tombstone: each key's history in key order
//                                       then revision order, for reads at a past revision and
//                                       compaction. esc() doubles 00 as 00 FF, so keys order as
//                                       their bytes and a key's entries are contiguous.
//   "k" + key                           the key's live version (absent when the key is deleted):
//                                       main u64 | sub u32 | createRevision u64 | version u64 |
//                                       lease f64 | value length u32 (40 bytes): rebuilds the
//                                       in-memory key index at open without reading the records.
//                                       Stores written before the index left memory hold main +
//                                       sub only (12 bytes); opening reads those keys' records.
//   "n" + member id u64                 member metadata (JSON {name, peerURLs, clientURLs}),
//                                       written with the membership-change entry that set it.
//   "l" + lease id u64                  a live lease: granted TTL u64 | checkpointed remaining TTL
//                                       u64 (0 = none), seconds (lease.ts). The keys attached to a
//                                       lease are not stored here: each live key's record names its
//                                       lease, and the attachment index is rebuilt from them.
//   "a" + "e"                           auth enabled: one byte, 1 = on (absent = off)
//   "a" + "v"                           auth revision, u64 (absent = 1, a store never changed)
//   "a" + "u" + user name (UTF-8)       an auth user: authpb.User protobuf (auth.ts), the password
//                                       as its salted hash, never in the clear
//   "a" + "r" + role name (UTF-8)       an auth role: authpb.Role protobuf
//   "x" + member id u64 + alarm type u8 an active alarm (alarms.ts), empty value.
//
// Metadata "compactdone" holds the revision up to which compaction has physically removed
// history (compactor.ts); below "compacted" when a compaction is still running or was cut short.
// "l", "a" and "compactdone" were added to layout 1 without a version change: a store without
// them reads as one with no leases, auth never configured, no alarms, that never compacted physically.
//
// RECORD: flags u8 (bit 0 tombstone) | modRevision u64 | createRevision u64 | version u64 |
//         lease f64 | key length u32 | key | value
// A tombstone has modRevision = the deleting revision, version 0, createRevision 0, no value.
// u64s are two big-endian u32s; every number is a safe integer.

import type { KeyValue } from "./types.js";

export const LAYOUT_VERSION = 1;

const META = 0x6d; // "m"
const REVISION = 0x72; // "r"
const HISTORY = 0x68; // "h"
const LATEST = 0x6b; // "k"
const MEMBER = 0x6e; // "n"
const LEASE = 0x6c; // "l"
const AUTH = 0x61; // "a"
const ALARM = 0x78; // "x"

export const META_FORMAT = metaKey("format");
export const META_APPLIED = metaKey("applied");
export const META_REVISION = metaKey("revision");
export const META_COMPACTED = metaKey("compacted");
export const META_IMPORTING = metaKey("importing");
export const META_SYNC = metaKey("sync");
export const META_COMPACT_DONE = metaKey("compactdone");

/** Bounds (gte, lt) of whole keyspaces. */
export const LATEST_RANGE = { gte: Buffer.of(LATEST), lt: Buffer.of(LATEST + 1) };
export const HISTORY_RANGE = { gte: Buffer.of(HISTORY), lt: Buffer.of(HISTORY + 1) };
export const REVISION_RANGE = { gte: Buffer.of(REVISION), lt: Buffer.of(REVISION + 1) };
export const MEMBER_RANGE = { gte: Buffer.of(MEMBER), lt: Buffer.of(MEMBER + 1) };
export const LEASE_RANGE = { gte: Buffer.of(LEASE), lt: Buffer.of(LEASE + 1) };
export const AUTH_RANGE = { gte: Buffer.of(AUTH), lt: Buffer.of(AUTH + 1) };

/** Second byte of "a" keys. */
export const AUTH_ENABLED_KEY = Buffer.from("ae", "latin1");
export const AUTH_REVISION_KEY = Buffer.from("av", "latin1");
export const AUTH_USER_TAG = 0x75; // "u"
export const AUTH_ROLE_TAG = 0x72; // "r"

export const ALARM_RANGE = { gte: Buffer.of(ALARM), lt: Buffer.of(ALARM + 1) };

const KEYSPACE_BYTES = new Set([META, REVISION, HISTORY, LATEST, MEMBER, LEASE, AUTH, ALARM]);

export const REVISION_BYTES = 12;
const RECORD_HEADER_BYTES = 37;
const TWO_32 = 2 ** 32;

function metaKey(name: string): Buffer {
  return Buffer.concat([Buffer.of(META), Buffer.from(name, "latin1")]);
}

/** True if a LevelDB key belongs to layout v1 (snapshot import checks every key). */
export function isLayoutKey(key: Uint8Array): boolean {
  return key.length > 0 && KEYSPACE_BYTES.has(key[0]!);
}

export function writeU64(buf: Buffer, value: number, offset: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`raftkv: ${value} is not a u53`);
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

export function readU64(buf: Uint8Array, offset: number): number {
  const b = asBuffer(buf);
  const value = b.readUInt32BE(offset) * TWO_32 + b.readUInt32BE(offset + 4);
  if (!Number.isSafeInteger(value)) throw new Error(`raftkv: stored u64 ${value} is beyond 2^53`);
  return value;
}

export function u64Bytes(value: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  writeU64(buf, value, 0);
  return buf;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** main + sub, 12 bytes: the value of a "k" entry and the suffix of "r" and "h" keys. */
export function revisionBytes(main: number, sub: number): Buffer {
  const buf = Buffer.allocUnsafe(REVISION_BYTES);
  writeU64(buf, main, 0);
  buf.writeUInt32BE(sub, 8);
  return buf;
}

export function revisionKey(main: number, sub: number): Buffer {
  const buf = Buffer.allocUnsafe(1 + REVISION_BYTES);
  buf[0] = REVISION;
  writeU64(buf, main, 1);
  buf.writeUInt32BE(sub, 9);
  return buf;
}

/** The "r" key a 12-byte revision (a "k" value, an "h" suffix) points to. */
export function revisionKeyOf(revision: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + REVISION_BYTES);
  buf[0] = REVISION;
  buf.set(revision.subarray(0, REVISION_BYTES), 1);
  return buf;
}

export function parseRevisionKey(key: Uint8Array): { main: number; sub: number } {
  return { main: readU64(key, 1), sub: asBuffer(key).readUInt32BE(9) };
}

export function memberKey(id: number): Buffer {
  const buf = Buffer.allocUnsafe(9);
  buf[0] = MEMBER;
  writeU64(buf, id, 1);
  return buf;
}

export function leaseKey(id: number): Buffer {
  const buf = Buffer.allocUnsafe(9);
  buf[0] = LEASE;
  writeU64(buf, id, 1);
  return buf;
}

export function authUserKey(name: string): Buffer {
  return Buffer.concat([Buffer.of(AUTH, AUTH_USER_TAG), Buffer.from(name, "utf8")]);
}

export function authRoleKey(name: string): Buffer {
  return Buffer.concat([Buffer.of(AUTH, AUTH_ROLE_TAG), Buffer.from(name, "utf8")]);
}

export function alarmKey(memberId: number, alarmCode: number): Buffer {
  const buf = Buffer.allocUnsafe(10);
  buf[0] = ALARM;
  writeU64(buf, memberId, 1);
  buf[9] = alarmCode;
  return buf;
}

/** Length of a "k" value that carries the whole index entry (12: revision only, older stores). */
export const LATEST_VALUE_BYTES = 40;

/** A "k" value: the live version's revision first (so a 12-byte reader still finds its record). */
export function latestValue(
  main: number,
  sub: number,
  createRevision: number,
  version: number,
  lease: number,
  valueLength: number,
): Buffer {
  const buf = Buffer.allocUnsafe(LATEST_VALUE_BYTES);
  writeU64(buf, main, 0);
  buf.writeUInt32BE(sub, 8);
  writeU64(buf, createRevision, 12);
  writeU64(buf, version, 20);
  buf.writeDoubleBE(lease, 28);
  buf.writeUInt32BE(valueLength, 36);
  return buf;
}

export function latestKey(key: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + key.length);
  buf[0] = LATEST;
  buf.set(key, 1);
  return buf;
}

/** "h" + esc(key) + 00 00: every history entry of key starts with it, nothing else does. */
export function historyPrefix(key: Uint8Array): Buffer {
  let zeros = 0;
  for (const byte of key) if (byte === 0) zeros++;
  const buf = Buffer.allocUnsafe(1 + key.length + zeros + 2);
  buf[0] = HISTORY;
  let at = 1;
  if (zeros === 0) {
    buf.set(key, at);
    at += key.length;
  } else {
    for (const byte of key) {
      buf[at++] = byte;
      if (byte === 0) buf[at++] = 0xff;
    }
  }
  buf[at++] = 0;
  buf[at] = 0;
  return buf;
}

export function historyKey(key: Uint8Array, main: number, sub: number): Buffer {
  const prefix = historyPrefix(key);
  const buf = Buffer.allocUnsafe(prefix.length + REVISION_BYTES);
  prefix.copy(buf, 0);
  writeU64(buf, main, prefix.length);
  buf.writeUInt32BE(sub, prefix.length + 8);
  return buf;
}

/** The key bytes of an "h" entry (escaped, with terminator) and its revision. */
export function splitHistoryKey(entry: Buffer): { prefix: Buffer; main: number; sub: number } {
  const at = entry.length - REVISION_BYTES;
  return { prefix: entry.subarray(0, at), main: readU64(entry, at), sub: entry.readUInt32BE(at + 8) };
}

export const HISTORY_PUT = Buffer.of(0);
export const HISTORY_TOMBSTONE = Buffer.of(1);

export function encodeRecord(kv: KeyValue, tombstone: boolean): Buffer {
  const valueBytes = tombstone ? 0 : kv.value.length;
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + kv.key.length + valueBytes);
  buf[0] = tombstone ? 1 : 0;
  writeU64(buf, kv.modRevision, 1);
  writeU64(buf, kv.createRevision, 9);
  writeU64(buf, kv.version, 17);
  buf.writeDoubleBE(kv.lease, 25);
  buf.writeUInt32BE(kv.key.length, 33);
  kv.key.copy(buf, RECORD_HEADER_BYTES);
  if (valueBytes > 0) kv.value.copy(buf, RECORD_HEADER_BYTES + kv.key.length);
  return buf;
}

/** Decodes a record. key and value are views into `buf`. */
export function decodeRecord(buf: Buffer): { kv: KeyValue; tombstone: boolean } {
  if (buf.length < RECORD_HEADER_BYTES)
    throw new Error(`raftkv: KV record of ${buf.length} bytes is truncated`);
  const keyLength = buf.readUInt32BE(33);
  const valueAt = RECORD_HEADER_BYTES + keyLength;
  if (valueAt > buf.length) throw new Error("raftkv: KV record key overruns the record");
  const lease = buf.readDoubleBE(25);
  if (!Number.isSafeInteger(lease)) throw new Error(`raftkv: KV record lease ${lease} is not an integer`);
  return {
    tombstone: (buf[0]! & 1) === 1,
    kv: {
      key: buf.subarray(RECORD_HEADER_BYTES, valueAt),
      createRevision: readU64(buf, 9),
      modRevision: readU64(buf, 1),
      version: readU64(buf, 17),
      value: buf.subarray(valueAt),
      lease,
    },
  };
}
