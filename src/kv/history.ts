// Reads of the MVCC history in LevelDB (layout.ts) for watch replay: the versions written by a
// range of revisions, in revision order, and the version of a key just before a revision (a
// replayed event's prev_kv).
//
// The caller guarantees the revisions asked for are in LevelDB (the state machine announces a
// revision to its listeners only once its batch is written) and checks the compacted revision
// after the read: a compaction running meanwhile may have removed part of what was read.

import {
  decodeRecord,
  historyKey,
  historyPrefix,
  parseRevisionKey,
  REVISION_BYTES,
  revisionKey,
  revisionKeyOf,
} from "./layout.js";
import type { KeyValue } from "./types.js";

/** The part of an abstract-level database the history reads use. */
export interface HistoryDatabase {
  get(key: Buffer): Promise<Buffer | undefined>;
  iterator(options: {
    gte?: Buffer;
    lt?: Buffer;
    reverse?: boolean;
    limit?: number;
    keyEncoding?: "buffer";
    valueEncoding?: "buffer";
  }): { nextv(size: number): Promise<[Buffer, Buffer][]>; close(): Promise<void> };
}

/** One version as written: a put (kv is the new version) or a tombstone (kv has key and modRevision). */
export interface HistoryRecord {
  readonly main: number;
  readonly sub: number;
  readonly kv: KeyValue;
  readonly tombstone: boolean;
}

export interface HistorySlice {
  readonly records: HistoryRecord[];
  /** Every revision up to this one (inclusive) is in `records`; the next read starts after it. */
  readonly through: number;
}

const READ_BATCH = 512;

/**
 * The records of revisions [from, to], in revision order. Stops once it holds at least
 * `maxRecords` records or `maxBytes` of keys and values, at the end of a revision (a revision is
 * never split), and says how far it got.
 */
export async function readRevisions(
  db: HistoryDatabase,
  from: number,
  to: number,
  maxRecords: number,
  maxBytes = 1024 * 1024,
): Promise<HistorySlice> {
  if (from > to) return { records: [], through: to };
  const records: HistoryRecord[] = [];
  let bytes = 0;
  const iterator = db.iterator({
    gte: revisionKey(from, 0),
    lt: revisionKey(to + 1, 0),
    keyEncoding: "buffer",
    valueEncoding: "buffer",
  });
  try {
    for (;;) {
      const batch = await iterator.nextv(READ_BATCH);
      if (batch.length === 0) return { records, through: to };
      for (const [key, value] of batch) {
        const { main, sub } = parseRevisionKey(key);
        const last = records[records.length - 1];
        const full = records.length >= maxRecords || bytes >= maxBytes;
        if (full && last !== undefined && main !== last.main) return { records, through: last.main };
        const { kv, tombstone } = decodeRecord(value);
        records.push({ main, sub, kv, tombstone });
        bytes += value.length;
      }
    }
  } finally {
    await iterator.close();
  }
}

/**
 * The version of `key` live just before revision (main, sub): null when the key did not exist
 * then, or when that version was compacted away.
 */
export async function previousVersion(
  db: HistoryDatabase,
  key: Buffer,
  main: number,
  sub: number,
): Promise<KeyValue | null> {
  const iterator = db.iterator({
    gte: historyPrefix(key),
    lt: historyKey(key, main, sub),
    reverse: true,
    limit: 1,
    keyEncoding: "buffer",
    valueEncoding: "buffer",
  });
  let entry: [Buffer, Buffer] | undefined;
  try {
    entry = (await iterator.nextv(1))[0];
  } finally {
    await iterator.close();
  }
  if (entry === undefined) return null;
  const [historyEntry, flag] = entry;
  if (flag[0] === 1) return null;
  const record = await db.get(revisionKeyOf(historyEntry.subarray(historyEntry.length - REVISION_BYTES)));
  if (record === undefined) return null;
  const { kv, tombstone } = decodeRecord(record);
  return tombstone ? null : kv;
}
