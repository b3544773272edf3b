// Hand-written protobuf encoders for the two hottest responses, PutResponse and RangeResponse:
// one Buffer sized up front, written in one pass, no intermediate message objects (the generic
// path of proto-loader builds a protobufjs message with fromObject, then encodes it). The
// ResponseHeader is encoded once per (cluster, member, revision, term) and reused: the reads
// served at one revision share it.
//
// Field numbers (etcd api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto):
//   ResponseHeader: cluster_id 1, member_id 2, revision 3, raft_term 4 (varints)
//   PutResponse:    header 1, prev_kv 2
//   RangeResponse:  header 1, kvs 2 (repeated), more 3, count 4
//   KeyValue:       key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6
// Zero values are omitted, as proto3 encoders do. Values are JS numbers below 2^53 (see
// PROTO_LOADER_OPTIONS in src/kv/types.ts); anything else goes to the generic encoder.

import type { KeyValue, ResponseHeader } from "../kv/types.js";

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Size of a varint field (tag + value), 0 when the value is 0 (omitted). */
function varintFieldSize(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

function writeVarintField(buf: Buffer, pos: number, tag: number, n: number): number {
  if (n === 0) return pos;
  buf[pos++] = tag;
  return writeVarint(buf, pos, n);
}

function isEncodable(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

let cachedHeader: { c: number; m: number; r: number; t: number; bytes: Buffer } | null = null;

/** The header's encoding (without its field tag), cached for the last one seen. */
export function encodeHeader(h: ResponseHeader): Buffer | null {
  const c = cachedHeader;
  if (c !== null && c.r === h.revision && c.t === h.raftTerm && c.c === h.clusterId && c.m === h.memberId)
    return c.bytes;
  if (
    !isEncodable(h.clusterId) ||
    !isEncodable(h.memberId) ||
    !isEncodable(h.revision) ||
    !isEncodable(h.raftTerm)
  )
    return null;
  const size =
    varintFieldSize(h.clusterId) +
    varintFieldSize(h.memberId) +
    varintFieldSize(h.revision) +
    varintFieldSize(h.raftTerm);
  const bytes = Buffer.allocUnsafe(size);
  let pos = writeVarintField(bytes, 0, 0x08, h.clusterId);
  pos = writeVarintField(bytes, pos, 0x10, h.memberId);
  pos = writeVarintField(bytes, pos, 0x18, h.revision);
  writeVarintField(bytes, pos, 0x20, h.raftTerm);
  cachedHeader = { c: h.clusterId, m: h.memberId, r: h.revision, t: h.raftTerm, bytes };
  return bytes;
}

function kvBodySize(kv: KeyValue): number {
  return (
    (kv.key.length === 0 ? 0 : 1 + varintSize(kv.key.length) + kv.key.length) +
    varintFieldSize(kv.createRevision) +
    varintFieldSize(kv.modRevision) +
    varintFieldSize(kv.version) +
    (kv.value.length === 0 ? 0 : 1 + varintSize(kv.value.length) + kv.value.length) +
    varintFieldSize(kv.lease)
  );
}

function kvEncodable(kv: KeyValue): boolean {
  return (
    Buffer.isBuffer(kv.key) &&
    Buffer.isBuffer(kv.value) &&
    isEncodable(kv.createRevision) &&
    isEncodable(kv.modRevision) &&
    isEncodable(kv.version) &&
    isEncodable(kv.lease)
  );
}

function writeBytesField(buf: Buffer, pos: number, tag: number, bytes: Buffer): number {
  if (bytes.length === 0) return pos;
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes.length);
  bytes.copy(buf, pos);
  return pos + bytes.length;
}

function writeKv(buf: Buffer, pos: number, kv: KeyValue, bodySize: number): number {
  pos = writeVarint(buf, pos, bodySize);
  pos = writeBytesField(buf, pos, 0x0a, kv.key);
  pos = writeVarintField(buf, pos, 0x10, kv.createRevision);
  pos = writeVarintField(buf, pos, 0x18, kv.modRevision);
  pos = writeVarintField(buf, pos, 0x20, kv.version);
  pos = writeBytesField(buf, pos, 0x2a, kv.value);
  return writeVarintField(buf, pos, 0x30, kv.lease);
}

interface PutResponseShape {
  header?: ResponseHeader | null;
  prevKv?: KeyValue | null;
}

/** PutResponse bytes, or null when the response is not of the shape handled here. */
export function encodePutResponse(r: PutResponseShape): Buffer | null {
  const header = r.header === undefined || r.header === null ? null : encodeHeader(r.header);
  if (header === null) return null;
  const prev = r.prevKv ?? null;
  if (prev !== null && !kvEncodable(prev)) return null;
  const prevSize = prev === null ? 0 : kvBodySize(prev);
  const size =
    1 + varintSize(header.length) + header.length + (prev === null ? 0 : 1 + varintSize(prevSize) + prevSize);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x0a;
  let pos = writeVarint(buf, 1, header.length);
  pos += header.copy(buf, pos);
  if (prev !== null) {
    buf[pos++] = 0x12;
    writeKv(buf, pos, prev, prevSize);
  }
  return buf;
}

interface RangeResponseShape {
  header?: ResponseHeader | null;
  kvs?: readonly KeyValue[] | null;
  more?: boolean;
  count?: number;
}

/** RangeResponse bytes, or null when the response is not of the shape handled here. */
export function encodeRangeResponse(r: RangeResponseShape): Buffer | null {
  const header = r.header === undefined || r.header === null ? null : encodeHeader(r.header);
  if (header === null) return null;
  const kvs = r.kvs ?? [];
  const count = r.count ?? 0;
  if (!isEncodable(count)) return null;
  let size = 1 + varintSize(header.length) + header.length;
  const sizes = new Array<number>(kvs.length);
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i]!;
    if (!kvEncodable(kv)) return null;
    const s = kvBodySize(kv);
    sizes[i] = s;
    size += 1 + varintSize(s) + s;
  }
  if (r.more === true) size += 2;
  size += varintFieldSize(count);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x0a;
  let pos = writeVarint(buf, 1, header.length);
  pos += header.copy(buf, pos);
  for (let i = 0; i < kvs.length; i++) {
    buf[pos++] = 0x12;
    pos = writeKv(buf, pos, kvs[i]!, sizes[i]!);
  }
  if (r.more === true) {
    buf[pos++] = 0x18;
    buf[pos++] = 1;
  }
  writeVarintField(buf, pos, 0x20, count);
  return buf;
}
