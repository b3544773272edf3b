// The replicated KV state machine: an MVCC store with etcd's semantics over LevelDB.
//
// Every write request (Put, DeleteRange, a Txn that changes something) makes ONE new main
// revision; each key it changes gets a sub-revision within it (0, 1, ... in order). All versions
// are kept in LevelDB by revision (layout.ts) until compaction, so reads at past revisions, watch
// replay and compaction work from the same data.
//
// Memory holds the KEY INDEX: per live key, in a B-tree ordered by key bytes, its latest version's
// revision (main, sub), create revision, version, lease and value length (a Live), but not the
// value. Values live in LevelDB (the version's "r" record) and in a bounded cache in front of it
// (--value-cache-bytes). Opening rebuilds the index from the "k" keyspace alone, which carries the
// same fields, so start time grows with the key count, not the data.
//
// Where a value is needed:
// - reads at the latest revision scan the index synchronously; values not in memory are read from
//   a LevelDB snapshot taken in the same synchronous step (so a concurrent apply or compaction
//   cannot tear the view): a read whose values are all cached answers synchronously;
// - an apply that decides on a value (a txn VALUE compare, a put with ignore_value, a txn range
//   sorted by value) loads those values before it runs the command; values it only returns
//   (prev_kv, a txn's ranges) are filled in after the batch is written, from the versions' records;
// - a watch event's prev_kv carries the value only when it was in memory (prevKvUnloaded otherwise:
//   the watch hub replays such a watcher from history).
// A version's value stays pinned in memory until its batch is in LevelDB, then joins the cache.
//
// Invariants:
// - appliedIndex is the last Raft index whose changes are in LevelDB; entries at or below it are
//   skipped, so replaying the log after a crash never applies an entry twice (the changes and
//   the index are written in one batch).
// - revision >= 1 (1 = the empty store, as in etcd); compactedRevision <= revision.
// - Applying is deterministic: same entries, same state and results on every node. No clock, no
//   randomness, no iteration over unordered collections.
// - apply() mutates the in-memory index, then writes one LevelDB batch; reads in between see the
//   new state, which is committed in Raft even before it is in LevelDB.
// - A Live without a value in memory is in LevelDB (its batch was written); a version is only
//   removed from LevelDB by compaction once it is superseded, never while it is live.

import { createRequire } from "node:module";
import type BTreeModule from "sorted-btree";
import {
  type AlarmMember,
  type AlarmResponse,
  AlarmTable,
  type AlarmType,
  decodeAlarmKey,
  txnHasPut,
} from "./alarms.js";
import { type AuthChanges, AuthTable } from "./auth.js";
import { type Command, decodeCommand, type RequestId } from "./command.js";
import { Compactor } from "./compactor.js";
import { crc32 } from "./crc32.js";
import { KvError } from "./errors.js";
import { type HistorySlice, previousVersion, readRevisions } from "./history.js";
import {
  ALARM_RANGE,
  AUTH_ENABLED_KEY,
  AUTH_RANGE,
  AUTH_REVISION_KEY,
  AUTH_ROLE_TAG,
  AUTH_USER_TAG,
  decodeRecord,
  encodeRecord,
  HISTORY_PUT,
  HISTORY_RANGE,
  HISTORY_TOMBSTONE,
  historyKey,
  historyPrefix,
  isLayoutKey,
  LATEST_RANGE,
  LATEST_VALUE_BYTES,
  LAYOUT_VERSION,
  LEASE_RANGE,
  latestKey,
  latestValue,
  MEMBER_RANGE,
  META_APPLIED,
  META_COMPACT_DONE,
  META_COMPACTED,
  META_FORMAT,
  META_IMPORTING,
  META_REVISION,
  META_SYNC,
  memberKey,
  REVISION_BYTES,
  readU64,
  revisionKey,
  revisionKeyOf,
  splitHistoryKey,
  u64Bytes,
} from "./layout.js";
import { type Lease, type LeaseChanges, LeaseTable } from "./lease.js";
import {
  boundsEmpty,
  collectLimit,
  EMPTY_BYTES,
  finishRange,
  type KeyBounds,
  keyBounds,
  sortsByValue,
} from "./range.js";
import { readSnapshot, SnapshotWriter } from "./snapshot-format.js";
import type {
  CompactionRequest,
  CompactionResponse,
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  LeaseGrantResponse,
  LeaseRevokeResponse,
  Member,
  MemberMetadata,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from "./types.js";
import { ValueArena } from "./value-arena.js";

// sorted-btree is CommonJS with `exports.default`; Node's and vitest's ESM interop disagree on
// what a default import of it is, require() does not.
const BTree = createRequire(import.meta.url)("sorted-btree").default as typeof BTreeModule.default;
type BTree<K, V> = BTreeModule.default<K, V>;

/** The part of an abstract-level database the state machine uses. */
export interface KvDatabase {
  readonly supports: { readonly explicitSnapshots: boolean };
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: Buffer[], options?: KvReadOptions): Promise<(Buffer | undefined)[]>;
  put(key: Buffer, value: Buffer): Promise<void>;
  batch(operations: BatchOp[], options?: { sync?: boolean }): Promise<void>;
  clear(range: { gt?: Buffer; lt?: Buffer }): Promise<void>;
  iterator(
    options: KvReadOptions & { gt?: Buffer; gte?: Buffer; lt?: Buffer; reverse?: boolean; limit?: number },
  ): KvIterator;
  snapshot(): KvSnapshot;
}

interface KvSnapshot {
  close(): Promise<void>;
}

interface KvReadOptions {
  keyEncoding?: "buffer";
  valueEncoding?: "buffer";
  snapshot?: KvSnapshot;
}

interface KvIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}

export interface KvStateMachineOptions {
  /**
   * Whether a lease exists, for Put with a lease (etcd: "requested lease not found"). Must answer
   * from replicated state only (deterministic). Default: the replicated lease table (lease.ts).
   */
  leaseExists?: (id: number) => boolean;
  /** Physical compaction failed (it stops; the next Compact or a restart resumes it). */
  onBackgroundError?: (err: Error) => void;
  /**
   * Physical compaction up to `revision` finished: the node gives the freed ranges back to the
   * disk (a LevelDB range compaction of the history keyspaces).
   */
  onCompacted?: (revision: number) => void;
  /**
   * Bytes of values the value cache in front of LevelDB may hold (values of versions not yet
   * written to LevelDB are held besides, until their batch is written). Default
   * DEFAULT_VALUE_CACHE_BYTES; 0 keeps no value in memory once it is written.
   */
  valueCacheBytes?: number;
}

/** Default bound of the value cache: --value-cache-bytes. */
export const DEFAULT_VALUE_CACHE_BYTES = 64 * 1024 * 1024;

/** What the state machine holds in memory (/metrics). */
export interface KvMemoryStats {
  /** Live keys in the in-memory key index. */
  readonly indexEntries: number;
  /** Bytes of values in the value cache. */
  readonly cacheBytes: number;
  /** Values in the value cache. */
  readonly cacheEntries: number;
  /** Value lookups answered from memory since open. */
  readonly cacheHits: number;
  /** Value lookups that read LevelDB since open. */
  readonly cacheMisses: number;
}

/**
 * What one apply() (or snapshot import) changed, handed to onApplied listeners once it is in
 * LevelDB: the watch hub and the leader's lease clock follow the store through these.
 */
export interface AppliedBatch {
  /** The store revision after the batch; every revision up to it is readable from history. */
  readonly revision: number;
  readonly compactedRevision: number;
  /** One per changed key, in revision then sub-revision order; prevKv always set when there was one. */
  readonly events: readonly Event[];
  readonly leases: LeaseChanges;
  /** Tokens assigned and users whose tokens are void (the members' token stores follow these). */
  readonly auth: AuthChanges;
  /** True after a snapshot import replaced the whole store: no events, the revision may jump. */
  readonly snapshot: boolean;
}

/**
 * A committed Raft entry. Empty data is a no-op (a new leader's empty entry). Pass entries that
 * are not KV commands (membership changes) with empty data, or leave them out: indexes must
 * increase, gaps are fine.
 */
export interface CommittedEntry {
  index: number;
  data: Uint8Array;
  /**
   * Member metadata this entry sets (null: removes), stored in the same batch as the applied
   * index and carried by snapshots: give it with the membership-change entry it comes from.
   */
  members?: readonly MemberUpdate[];
}

export interface MemberUpdate {
  id: number;
  member: MemberMetadata | null;
}

export type KvResult =
  | PutResponse
  | DeleteRangeResponse
  | TxnResponse
  | CompactionResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse
  | AuthResult
  | AlarmResponse;

/** The result of an applied auth command (header: revision unset); Authenticate adds its token. */
export interface AuthResult {
  header: ResponseHeader;
  token?: string;
}

export type BatchOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

/** One write request being applied: its main revision and the changes so far. */
interface WriteContext {
  main: number;
  /** Next sub-revision = number of changes so far. */
  sub: number;
  ops: BatchOp[];
}

/** The branch a txn takes and, for its nested txns, theirs; decided before any write. */
interface TxnPath {
  succeeded: boolean;
  ops: readonly RequestOp[];
  nested: (TxnPath | undefined)[];
}

const READ_BATCH = 1024;
/** classic-level's fsync option; abstract-level passes unknown options through. */
const SYNCED = { sync: true };
const IMPORT_BATCH_BYTES = 1024 * 1024;
const IMPORT_BATCH_OPS = 4096;

function header(revision: number): ResponseHeader {
  return { clusterId: 0, memberId: 0, revision, raftTerm: 0 };
}

function copyBytes(bytes: Buffer): Buffer {
  return bytes.length === 0 ? EMPTY_BYTES : Buffer.from(bytes);
}

/**
 * A live key's latest version in the key index: everything reads and compares need but the value.
 * One object per version (a new version replaces it in the tree).
 */
class Live {
  /** The value when it is in memory: pinned until the version's batch is written, then cached. */
  value: Buffer | undefined;
  /** Read since the cache last passed it over (second chance: eviction spares it once). */
  hot = false;

  constructor(
    readonly mod: number,
    readonly sub: number,
    readonly create: number,
    readonly version: number,
    readonly lease: number,
    /** Length of the value. */
    readonly size: number,
    value: Buffer | undefined,
  ) {
    this.value = value;
  }
}

/** What a cached value costs besides its bytes in the arena (the Buffer object over them). */
const CACHE_ENTRY_COST = 96;

/** A read's record is gone: a compaction removed a version the read had seen live (no snapshot). */
class RecordRaced extends Error {}

/** Whether a range reads values: to return them, or to sort by them (keys_only may still sort). */
function wantsValues(req: RangeRequest): boolean {
  return !req.countOnly && (!req.keysOnly || sortsByValue(req));
}

export class KvStateMachine {
  readonly #db: KvDatabase;
  readonly #leaseExists: (id: number) => boolean;
  #tree: BTree<string, Live> = new BTree<string, Live>();
  readonly #cacheLimit: number;
  /** Lives whose (written) value is cached, oldest first (evicted by CLOCK: see #evict). */
  #cache = new Set<Live>();
  /** The cached values' memory (./value-arena.ts). */
  #arena: ValueArena;
  #cacheHits = 0;
  #cacheMisses = 0;
  /** Lives the apply in progress created: their values are pinned until its batch is written. */
  #unwritten: Live[] = [];
  /** Values loaded for the command being applied (a VALUE compare, ignore_value, a value sort). */
  readonly #prepared = new Map<Live, Buffer>();
  /** kvs in this batch's results whose values are read once the batch is written. */
  #fills = new Map<KeyValue, Live>();
  /** Settles when the apply in progress ends. */
  #applyDone: Promise<void> = Promise.resolve();
  #appliedIndex = 0;
  #revision = 1;
  #compactedRevision = 0;
  /** Sum of key and value lengths of the live keys. */
  #liveBytes = 0;
  /** The stored member metadata, mirrored in memory (memberAttributes needs it on apply). */
  #members = new Map<number, MemberMetadata>();
  #state: "idle" | "applying" | "importing" = "idle";
  /** Set by stopImports(): an import stops at its next batch (the node is shutting down). */
  #importsStopped = false;
  /** The LevelDB write of the last apply, until it settles. */
  #pendingWrite: Promise<void> = Promise.resolve();
  /** Set when memory and LevelDB may disagree (failed write, failed import): refuse service. */
  #failure: Error | undefined;
  /** Replicated lease state (lease.ts); the attachment index follows every #record. */
  #leases = new LeaseTable();
  /** Replicated auth state (auth.ts): one object for the store's life, reloaded in place. */
  readonly #auth = new AuthTable();
  /** Replicated alarms (alarms.ts); a NOSPACE alarm caps writes that add data. */
  #alarms = new AlarmTable();
  /** Events of the apply in progress (handed to listeners once written). */
  #events: Event[] = [];
  readonly #listeners = new Set<(batch: AppliedBatch) => void>();
  readonly #compactor: Compactor;
  /** Compaction applied in the current batch, started once the batch is written. */
  #compactionApplied = 0;

  private constructor(db: KvDatabase, options: KvStateMachineOptions) {
    this.#db = db;
    this.#leaseExists = options.leaseExists ?? ((id) => this.#leases.has(id));
    const limit = options.valueCacheBytes ?? DEFAULT_VALUE_CACHE_BYTES;
    if (!(limit >= 0)) throw new RangeError(`raftkv: value cache of ${limit} bytes`);
    this.#cacheLimit = limit;
    this.#arena = new ValueArena(limit);
    this.#compactor = new Compactor(db, {
      done: 0,
      onError: options.onBackgroundError,
      onDone: options.onCompacted,
    });
  }

  /**
   * Opens the state machine on an open database, initializing an empty one. A store left by an
   * interrupted snapshot import opens in a failed state (`incompleteImport`): only
   * importSnapshot() works.
   */
  static async open(db: KvDatabase, options: KvStateMachineOptions = {}): Promise<KvStateMachine> {
    const sm = new KvStateMachine(db, options);
    await sm.#load();
    return sm;
  }

  /** Last Raft index applied (etcd's consistent index). */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /** Current revision; 1 for an empty store. */
  get revision(): number {
    return this.#revision;
  }

  /** Revisions below this are compacted away; 0 = never compacted. */
  get compactedRevision(): number {
    return this.#compactedRevision;
  }

  /** Users, roles, whether auth is enabled and the auth revision (read-only for callers). */
  get auth(): AuthTable {
    return this.#auth;
  }

  /** Number of live keys. */
  get size(): number {
    return this.#tree.size;
  }

  /** The key index and the value cache. */
  memoryStats(): KvMemoryStats {
    return {
      indexEntries: this.#tree.size,
      cacheBytes: this.#cacheBytes(),
      cacheEntries: this.#cache.size,
      cacheHits: this.#cacheHits,
      cacheMisses: this.#cacheMisses,
    };
  }

  /** True when the store holds an interrupted snapshot import. */
  get incompleteImport(): boolean {
    return this.#failure instanceof IncompleteImportError;
  }

  // ---- Applying ----

  /**
   * Applies committed entries in index order and writes all their changes, with the new applied
   * index, in ONE LevelDB batch (not synced: the Raft log is the durable record; see persist()).
   * Entries at or below appliedIndex are skipped. Returns the result of each KV command by request
   * id: a response (header: only `revision` set) or the KvError etcd would answer with. Commands
   * of other kinds (leases) yield nothing here. Calls must not overlap.
   * Throws (and the state machine refuses further use) on a corrupt entry or a failed write.
   *
   * `answerable`, if given, is called once the batch is applied in memory and before its LevelDB
   * write, with the results that need nothing read back (no prev_kv or txn range value on disk).
   * The entries are committed (a quorum holds them durably; a restart applies them again from the
   * log), and reads already see memory; a caller may answer those requests at once. The returned
   * map still holds every result.
   */
  async apply(
    entries: readonly CommittedEntry[],
    answerable?: (results: ReadonlyMap<RequestId, KvResult | KvError>) => void,
  ): Promise<Map<RequestId, KvResult | KvError>> {
    this.#enter("applying");
    let finished!: () => void;
    this.#applyDone = new Promise((resolve) => {
      finished = resolve;
    });
    try {
      const results = new Map<RequestId, KvResult | KvError>();
      const ops: BatchOp[] = [];
      this.#events = [];
      this.#compactionApplied = 0;
      this.#fills = new Map();
      this.#unwritten = [];
      let index = this.#appliedIndex;
      /** Results that wait for a value read back once the batch is written. */
      let filled: Set<RequestId> | undefined;
      try {
        for (const entry of entries) {
          if (entry.index <= this.#appliedIndex) continue;
          if (entry.index <= index)
            throw new Error(`raftkv: entry ${entry.index} applied after entry ${index}`);
          index = entry.index;
          if (entry.members) this.#updateMembers(entry.members, ops);
          if (entry.data.length === 0) continue;
          const command = decodeCommand(entry.data);
          const needed = this.#valuesNeeded(command);
          if (needed !== undefined) await this.#prepare(needed);
          const fillsBefore = this.#fills.size;
          const result = this.#applyCommand(command, ops);
          this.#prepared.clear();
          if (result === undefined) continue;
          results.set(command.id, result);
          if (this.#fills.size > fillsBefore) {
            filled ??= new Set();
            filled.add(command.id);
          }
        }
      } catch (err) {
        // Memory may hold part of the batch: it no longer matches LevelDB.
        this.#fail(err);
      }
      if (index === this.#appliedIndex) return results;
      ops.push(
        { type: "put", key: META_APPLIED, value: u64Bytes(index) },
        { type: "put", key: META_REVISION, value: u64Bytes(this.#revision) },
      );
      if (answerable !== undefined && results.size > 0) {
        if (filled === undefined) answerable(results);
        else answerable(new Map([...results].filter(([id]) => !filled.has(id))));
      }
      await this.#write(ops);
      this.#appliedIndex = index;
      this.#cacheWritten();
      this.#emit(false);
      // Before this batch's compaction starts: the versions to read were live in the batch.
      await this.#fillResults();
      if (this.#compactionApplied > 0) this.#compactor.schedule(this.#compactionApplied);
      return results;
    } finally {
      this.#prepared.clear();
      this.#state = "idle";
      finished();
    }
  }

  /**
   * The Lives whose values `command` decides on and that are not in memory: VALUE compares,
   * ignore_value puts and value-sorted ranges, in every branch of a txn (decided before it runs).
   */
  #valuesNeeded(command: Command): Live[] | undefined {
    let needed: Live[] | undefined;
    const need = (live: Live | undefined): void => {
      if (live === undefined || live.value !== undefined) return;
      needed ??= [];
      needed.push(live);
    };
    const needRange = (key: Buffer, rangeEnd: Buffer): void => {
      this.#scan(keyBounds(key, rangeEnd), (_name, live) => {
        need(live);
        return true;
      });
    };
    const visitTxn = (txn: TxnRequest): void => {
      for (const c of txn.compare) if (c.target === "VALUE") needRange(c.key, c.rangeEnd);
      for (const ops of [txn.success, txn.failure]) {
        for (const op of ops) {
          if (op.requestPut?.ignoreValue) need(this.#tree.get(op.requestPut.key.toString("latin1")));
          if (op.requestRange && sortsByValue(op.requestRange)) {
            needRange(op.requestRange.key, op.requestRange.rangeEnd);
          }
          if (op.requestTxn) visitTxn(op.requestTxn);
        }
      }
    };
    if (command.kind === "put") {
      if (command.request.ignoreValue) need(this.#tree.get(command.request.key.toString("latin1")));
    } else if (command.kind === "txn") {
      visitTxn(command.request);
    }
    return needed;
  }

  /** Reads the values a command needs before it runs (nothing else changes the index meanwhile). */
  async #prepare(needed: readonly Live[]): Promise<void> {
    const values = await this.#readValues(needed, undefined);
    needed.forEach((live, i) => {
      const value = values[i]!;
      this.#prepared.set(live, value);
      if (live.value === undefined) this.#cacheAdd(live, value);
    });
    this.#evict();
  }

  /** The value of a Live the running command decides on (loaded by #prepare when not cached). */
  #valueNow(live: Live): Buffer {
    const value = live.value ?? this.#prepared.get(live);
    if (value === undefined) throw new Error("raftkv: a value needed by an apply was not loaded");
    return value;
  }

  /** The memory the cache keeps: its arena's slabs and a Buffer object per value. */
  #cacheBytes(): number {
    return this.#arena.bytes + this.#cache.size * CACHE_ENTRY_COST;
  }

  /** The batch is written: its versions' values leave the pinned set for the cache. */
  #cacheWritten(): void {
    for (const live of this.#unwritten) {
      if (live.value === undefined || this.#cache.has(live)) continue; // superseded within the batch
      this.#cacheAdd(live, live.value);
    }
    this.#unwritten = [];
    this.#evict();
  }

  /** Caches a copy of `value` in the arena (the caller's buffer may share memory with others). */
  #cacheAdd(live: Live, value: Buffer): void {
    live.value = this.#arena.copy(value);
    this.#cache.add(live);
  }

  /**
   * Drops the oldest values until the cache is within its bound, sparing once each value read
   * since it was last passed over (CLOCK): a spared value moves to the recent end, unmarked.
   */
  #evict(): void {
    if (this.#cacheBytes() <= this.#cacheLimit) return;
    for (const live of this.#cache) {
      if (this.#cacheBytes() <= this.#cacheLimit) return;
      this.#cache.delete(live);
      const value = live.value!;
      this.#arena.release(value);
      if (live.hot) {
        // Copied to the newest slab, so that the one it leaves can empty.
        live.hot = false;
        this.#cacheAdd(live, value);
        continue;
      }
      live.value = undefined;
    }
  }

  /** A version left the index (superseded or deleted): its value leaves memory. */
  #retire(live: Live): void {
    if (this.#cache.delete(live)) this.#arena.release(live.value!);
    live.value = undefined;
  }

  #resetCache(): void {
    this.#cache = new Set();
    this.#arena = new ValueArena(this.#cacheLimit);
    this.#unwritten = [];
  }

  /** Reads the values of results (prev_kv, txn ranges) that were not in memory at apply time. */
  async #fillResults(): Promise<void> {
    if (this.#fills.size === 0) return;
    const fills = this.#fills;
    this.#fills = new Map();
    try {
      await this.#fill(fills, undefined);
    } catch (err) {
      this.#fail(err);
    }
  }

  /**
   * Sets the value of each kv from its version's record (or from memory, if it got there). With a
   * LevelDB snapshot taken when the kvs were collected, the records are certain to be there.
   */
  async #fill(fills: Map<KeyValue, Live>, snapshot: KvSnapshot | undefined, reader = false): Promise<void> {
    try {
      const kvs: KeyValue[] = [];
      const lives: Live[] = [];
      for (const [kv, live] of fills) {
        if (live.value !== undefined) {
          kv.value = live.value;
        } else {
          kvs.push(kv);
          lives.push(live);
        }
      }
      const values = await this.#readValues(lives, snapshot, reader);
      kvs.forEach((kv, i) => {
        kv.value = values[i]!;
      });
      // Cache what is still live (a version superseded meanwhile is no longer in the tree).
      lives.forEach((live, i) => {
        if (live.value === undefined && this.#tree.get(kvs[i]!.key.toString("latin1")) === live) {
          this.#cacheAdd(live, values[i]!);
        }
      });
      this.#evict();
    } finally {
      await snapshot?.close();
    }
  }

  /** The values of versions from their "r" records, in order. */
  async #readValues(
    lives: readonly Live[],
    snapshot: KvSnapshot | undefined,
    reader = false,
  ): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let at = 0; at < lives.length; at += READ_BATCH) {
      const part = lives.slice(at, at + READ_BATCH);
      const records = await this.#db.getMany(
        part.map((live) => revisionKey(live.mod, live.sub)),
        { keyEncoding: "buffer", valueEncoding: "buffer", ...(snapshot ? { snapshot } : {}) },
      );
      records.forEach((record, i) => {
        const live = part[i]!;
        if (record === undefined) {
          if (reader && snapshot === undefined) throw new RecordRaced();
          throw new Error(`raftkv: KV store corrupt: record of revision ${live.mod}/${live.sub} is missing`);
        }
        const { kv, tombstone } = decodeRecord(record);
        if (tombstone || kv.modRevision !== live.mod || kv.value.length !== live.size) {
          throw new Error(
            `raftkv: KV store corrupt: record of revision ${live.mod}/${live.sub} does not match`,
          );
        }
        out.push(kv.value);
      });
    }
    this.#cacheMisses += lives.length;
    return out;
  }

  /**
   * Calls `listener` after every apply() that wrote something and after every snapshot import,
   * synchronously, once the batch is in LevelDB and before apply() resolves (so before the
   * proposer learns its result). Returns a function that removes it.
   */
  onApplied(listener: (batch: AppliedBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(snapshot: boolean): void {
    const events = this.#events;
    this.#events = [];
    const batch: AppliedBatch = {
      revision: this.#revision,
      compactedRevision: this.#compactedRevision,
      events,
      leases: this.#leases.takeChanges(),
      // A snapshot replaced users and passwords wholesale: every token this member knew is void.
      auth: snapshot ? { tokens: [], invalidated: [], allVoid: true } : this.#auth.takeChanges(),
      snapshot,
    };
    for (const listener of this.#listeners) listener(batch);
  }

  #updateMembers(updates: readonly MemberUpdate[], ops: BatchOp[]): void {
    for (const { id, member } of updates) {
      if (member === null) {
        this.#members.delete(id);
        ops.push({ type: "del", key: memberKey(id) });
      } else {
        const { name, peerURLs, clientURLs } = member;
        this.#members.set(id, { name, peerURLs: [...peerURLs], clientURLs: [...clientURLs] });
        const value = Buffer.from(JSON.stringify({ name, peerURLs, clientURLs }), "utf8");
        ops.push({ type: "put", key: memberKey(id), value });
      }
    }
  }

  /**
   * A member's published name and client URLs. Deterministic and idempotent: only a member the
   * store knows (added by a membership change, not removed since) is updated, its peer URLs kept;
   * an unchanged record writes nothing. No revision is taken: the KV data does not change.
   */
  #applyMemberAttributes(request: Member, ops: BatchOp[]): void {
    const current = this.#members.get(request.ID);
    if (current === undefined) return;
    const clientURLs = request.clientURLs.filter((u) => typeof u === "string");
    if (
      current.name === request.name &&
      current.clientURLs.length === clientURLs.length &&
      current.clientURLs.every((u, i) => u === clientURLs[i])
    ) {
      return;
    }
    this.#updateMembers(
      [{ id: request.ID, member: { name: request.name, peerURLs: current.peerURLs, clientURLs } }],
      ops,
    );
  }

  /** The stored metadata of one member. */
  member(id: number): MemberMetadata | undefined {
    return this.#members.get(id);
  }

  #applyCommand(command: Command, ops: BatchOp[]): KvResult | KvError | undefined {
    try {
      // etcd's applierV3Capped: with a NOSPACE alarm raised, nothing that adds data is applied.
      if (this.#alarms.has("NOSPACE") && addsData(command)) throw new KvError("RAFTKV_NO_SPACE");
      switch (command.kind) {
        case "put":
          return this.#writeRequest(ops, (ctx) => {
            this.#checkPut(command.request);
            return this.#put(ctx, command.request);
          });
        case "deleteRange":
          return this.#writeRequest(ops, (ctx) => this.#deleteRange(ctx, command.request));
        case "txn":
          return this.#writeRequest(ops, (ctx) => this.#txn(ctx, command.request));
        case "compaction":
          return this.#compact(ops, command.request);
        case "leaseGrant":
          return { header: header(this.#revision), ...this.#leases.grant(command.request, ops), error: "" };
        case "leaseRevoke":
          return this.#revokeLease(ops, command.request.ID);
        case "leaseCheckpoint":
          this.#leases.checkpoint(command.request, ops);
          return { header: header(this.#revision) };
        case "memberAttributes":
          this.#applyMemberAttributes(command.request, ops);
          return undefined;
        case "alarm":
          return { header: header(this.#revision), alarms: this.#alarms.apply(command.request, ops) };
        default:
          return this.#applyAuth(command, ops);
      }
    } catch (err) {
      if (err instanceof KvError) return err;
      throw err;
    }
  }

  /** Auth commands (auth.ts): they change no key and take no KV revision. */
  #applyAuth(command: Command, ops: BatchOp[]): AuthResult {
    const auth = this.#auth;
    switch (command.kind) {
      case "authEnable":
        return auth.enable(ops);
      case "authDisable":
        return auth.disable(ops);
      case "authenticate":
        return auth.authenticate(command.request);
      case "authUserAdd":
        return auth.userAdd(command.request, ops);
      case "authUserDelete":
        return auth.userDelete(command.request, ops);
      case "authUserChangePassword":
        return auth.userChangePassword(command.request, ops);
      case "authUserGrantRole":
        return auth.userGrantRole(command.request, ops);
      case "authUserRevokeRole":
        return auth.userRevokeRole(command.request, ops);
      case "authRoleAdd":
        return auth.roleAdd(command.request, ops);
      case "authRoleDelete":
        return auth.roleDelete(command.request, ops);
      case "authRoleGrantPermission":
        return auth.roleGrantPermission(command.request, ops);
      case "authRoleRevokePermission":
        return auth.roleRevokePermission(command.request, ops);
      default:
        throw new Error(`raftkv: command kind ${command.kind} has no applier`);
    }
  }

  /** Runs one write request as one revision: it takes the next main revision if it changed anything. */
  #writeRequest<R>(ops: BatchOp[], run: (ctx: WriteContext) => R): R {
    const ctx: WriteContext = { main: this.#revision + 1, sub: 0, ops };
    const result = run(ctx);
    if (ctx.sub > 0) this.#revision = ctx.main;
    return result;
  }

  /** The revision a read inside the request sees: the new one once something changed. */
  #viewRevision(ctx: WriteContext): number {
    return ctx.sub > 0 ? ctx.main : this.#revision;
  }

  /**
   * etcd's LeaseRevoke: the attached keys are deleted as ONE write (one revision, none when no key
   * is attached) in the same entry that removes the lease.
   */
  #revokeLease(ops: BatchOp[], id: number): LeaseRevokeResponse {
    const names = this.#leases.keysToRevoke(id);
    this.#writeRequest(ops, (ctx) => {
      for (const name of names) {
        const live = this.#tree.get(name);
        if (live === undefined) throw new Error(`raftkv: lease ${id} holds missing key`);
        this.#deleteKey(ctx, name, live);
      }
    });
    this.#leases.remove(id, ops);
    return { header: header(this.#revision) };
  }

  /**
   * Writes one change of `name` (kv.key) at the next sub-revision. `prev`: the key's live version
   * before it, if any (the event's prev_kv, lease attachment).
   */
  #record(ctx: WriteContext, name: string, kv: KeyValue, tombstone: boolean, prev: Live | undefined): void {
    let prevKv: KeyValue | null = null;
    let prevKvUnloaded = false;
    if (prev !== undefined) {
      const value = prev.value ?? this.#prepared.get(prev);
      prevKvUnloaded = value === undefined;
      prevKv = {
        key: kv.key,
        createRevision: prev.create,
        modRevision: prev.mod,
        version: prev.version,
        value: value ?? EMPTY_BYTES,
        lease: prev.lease,
      };
    }
    this.#events.push({ type: tombstone ? "DELETE" : "PUT", kv, prevKv, prevKvUnloaded });
    this.#leases.reattach(name, prev?.lease ?? 0, tombstone ? 0 : kv.lease);
    const sub = ctx.sub++;
    ctx.ops.push(
      { type: "put", key: revisionKey(ctx.main, sub), value: encodeRecord(kv, tombstone) },
      {
        type: "put",
        key: historyKey(kv.key, ctx.main, sub),
        value: tombstone ? HISTORY_TOMBSTONE : HISTORY_PUT,
      },
      tombstone
        ? { type: "del", key: latestKey(kv.key) }
        : {
            type: "put",
            key: latestKey(kv.key),
            value: latestValue(ctx.main, sub, kv.createRevision, kv.version, kv.lease, kv.value.length),
          },
    );
  }

  /**
   * A KeyValue of a live version. `pending` given: the value is wanted; when it is not in memory,
   * the kv is listed there (its value is empty until filled).
   */
  #kvOf(name: string, live: Live, pending: Map<KeyValue, Live> | undefined): KeyValue {
    const value = live.value ?? this.#prepared.get(live);
    const kv: KeyValue = {
      key: Buffer.from(name, "latin1"),
      createRevision: live.create,
      modRevision: live.mod,
      version: live.version,
      value: value ?? EMPTY_BYTES,
      lease: live.lease,
    };
    if (pending === undefined) return kv;
    if (value === undefined) {
      pending.set(kv, live);
    } else {
      // A hit only marks the value: reordering the cache on every read cost more than the read.
      this.#cacheHits++;
      live.hot = true;
    }
    return kv;
  }

  /** Checks a Put against the state before the request: etcd's checkRequestPut. */
  #checkPut(req: PutRequest): void {
    if ((req.ignoreValue || req.ignoreLease) && !this.#tree.has(req.key.toString("latin1"))) {
      throw new KvError("RAFTKV_KEY_NOT_FOUND");
    }
    if (req.lease !== 0 && !this.#leaseExists(req.lease)) throw new KvError("RAFTKV_LEASE_NOT_FOUND");
  }

  #put(ctx: WriteContext, req: PutRequest): PutResponse {
    const name = req.key.toString("latin1");
    const prev = this.#tree.get(name);
    // #checkPut ran before any write of the request; a delete earlier in the same txn can still
    // have removed the key (etcd allows a put under a delete with range_end "\0"): then the
    // ignored value and lease are the absent key's, empty and 0.
    const value = req.ignoreValue
      ? prev === undefined
        ? EMPTY_BYTES
        : this.#valueNow(prev)
      : copyBytes(req.value);
    const kv: KeyValue = {
      key: copyBytes(req.key),
      createRevision: prev?.create ?? ctx.main,
      modRevision: ctx.main,
      version: (prev?.version ?? 0) + 1,
      value,
      lease: req.ignoreLease ? (prev?.lease ?? 0) : req.lease,
    };
    const prevKv = req.prevKv && prev !== undefined ? this.#kvOf(name, prev, this.#fills) : null;
    const live = new Live(ctx.main, ctx.sub, kv.createRevision, kv.version, kv.lease, value.length, value);
    this.#record(ctx, name, kv, false, prev);
    this.#tree.set(name, live);
    this.#unwritten.push(live);
    if (prev !== undefined) this.#retire(prev);
    this.#liveBytes += prev === undefined ? kv.key.length + value.length : value.length - prev.size;
    return { header: header(ctx.main), prevKv };
  }

  #deleteRange(ctx: WriteContext, req: DeleteRangeRequest): DeleteRangeResponse {
    const names: string[] = [];
    const victims: Live[] = [];
    this.#scan(keyBounds(req.key, req.rangeEnd), (name, live) => {
      names.push(name);
      victims.push(live);
      return true;
    });
    // Before the deletes: they take the victims' values out of memory.
    const prevKvs = req.prevKv ? victims.map((live, i) => this.#kvOf(names[i]!, live, this.#fills)) : [];
    victims.forEach((live, i) => {
      this.#deleteKey(ctx, names[i]!, live);
    });
    return { header: header(this.#viewRevision(ctx)), deleted: victims.length, prevKvs };
  }

  /** Deletes one live key (its tombstone takes the next sub-revision). */
  #deleteKey(ctx: WriteContext, name: string, live: Live): void {
    const key = Buffer.from(name, "latin1");
    this.#record(
      ctx,
      name,
      { key, createRevision: 0, modRevision: ctx.main, version: 0, value: EMPTY_BYTES, lease: 0 },
      true,
      live,
    );
    this.#tree.delete(name);
    this.#retire(live);
    this.#liveBytes -= key.length + live.size;
  }

  #compact(ops: BatchOp[], req: CompactionRequest): CompactionResponse {
    if (req.revision <= this.#compactedRevision) throw new KvError("RAFTKV_COMPACTED");
    if (req.revision > this.#revision) throw new KvError("RAFTKV_FUTURE_REVISION");
    // Logical at once: reads below the compacted revision fail from this entry on. The superseded
    // versions are removed physically in the background once the batch is written (compactor.ts).
    this.#compactedRevision = req.revision;
    this.#compactionApplied = req.revision;
    ops.push({ type: "put", key: META_COMPACTED, value: u64Bytes(req.revision) });
    return { header: header(this.#revision) };
  }

  // ---- Txn ----

  #txn(ctx: WriteContext, req: TxnRequest): TxnResponse {
    // Like etcd: every compare, nested ones included, and every check run against the state
    // before the txn; then the chosen operations run in order, each seeing the earlier writes.
    const path = this.#txnPath(req);
    const pinned = new Map<RangeRequest, RangeResponse>();
    this.#checkTxnPath(path, pinned);
    return this.#executeTxn(ctx, path, pinned);
  }

  #txnPath(req: TxnRequest): TxnPath {
    const succeeded = req.compare.every((c) => this.#compare(c));
    const ops = succeeded ? req.success : req.failure;
    return {
      succeeded,
      ops,
      nested: ops.map((op) => (op.requestTxn ? this.#txnPath(op.requestTxn) : undefined)),
    };
  }

  /**
   * etcd's checkTxn: puts' key and lease preconditions and ranges' revisions. A range at an
   * explicit revision is read now, before the txn writes, into `pinned`: at the current revision
   * that is the pre-txn state; a past revision inside a txn is not supported yet.
   */
  #checkTxnPath(path: TxnPath, pinned: Map<RangeRequest, RangeResponse>): void {
    path.ops.forEach((op, i) => {
      if (op.requestPut) this.#checkPut(op.requestPut);
      const nested = path.nested[i];
      if (nested) this.#checkTxnPath(nested, pinned);
      const range = op.requestRange;
      if (!range || range.revision <= 0) return;
      this.#checkReadRevision(range.revision);
      if (range.revision !== this.#revision) {
        throw new KvError("RAFTKV_UNSUPPORTED", {
          detail: "raftkv: a range at a past revision inside a txn is not supported",
        });
      }
      pinned.set(range, this.#rangeInApply(range, this.#revision));
    });
  }

  #executeTxn(ctx: WriteContext, path: TxnPath, pinned: Map<RangeRequest, RangeResponse>): TxnResponse {
    const responses = path.ops.map((op, i): ResponseOp => {
      if (op.requestRange) {
        const responseRange =
          pinned.get(op.requestRange) ?? this.#rangeInApply(op.requestRange, this.#viewRevision(ctx));
        return { response: "responseRange", responseRange };
      }
      if (op.requestPut) return { response: "responsePut", responsePut: this.#put(ctx, op.requestPut) };
      if (op.requestDeleteRange) {
        return {
          response: "responseDeleteRange",
          responseDeleteRange: this.#deleteRange(ctx, op.requestDeleteRange),
        };
      }
      const nested = path.nested[i];
      if (nested) return { response: "responseTxn", responseTxn: this.#executeTxn(ctx, nested, pinned) };
      // validateTxn refuses empty ops before they are proposed; one in the log is a bug.
      throw new Error("raftkv: txn operation with no request");
    });
    return { header: header(this.#viewRevision(ctx)), succeeded: path.succeeded, responses };
  }

  /** etcd's applyCompare: every key in the range must satisfy it; no key compares as zero values. */
  #compare(c: Compare): boolean {
    let seen = false;
    let holds = true;
    this.#scan(keyBounds(c.key, c.rangeEnd), (_name, live) => {
      seen = true;
      holds = compareLive(c, live, c.target === "VALUE" ? this.#valueNow(live) : EMPTY_BYTES);
      return holds;
    });
    if (seen) return holds;
    // A missing key has no value: a VALUE compare on it fails, whatever the operator.
    return c.target !== "VALUE" && compareLive(c, undefined, EMPTY_BYTES);
  }

  // ---- Reads ----

  /**
   * Range at the latest revision (revision <= 0 or = current): synchronous when every value it
   * returns is in memory (and for keys_only and count_only), a Promise otherwise. Throws KvError
   * for a compacted or future revision, and TypeError for another past revision: use rangeAt().
   */
  range(req: RangeRequest): RangeResponse | Promise<RangeResponse> {
    this.#checkUsable();
    if (req.revision > 0 && req.revision !== this.#revision) {
      this.#checkReadRevision(req.revision);
      throw new TypeError(`range() reads the latest revision; use rangeAt() for revision ${req.revision}`);
    }
    return this.#readLatest(req, 0);
  }

  /** Range at any revision still held: the latest from the index, a past one from history. */
  async rangeAt(req: RangeRequest): Promise<RangeResponse> {
    this.#checkUsable();
    if (req.revision <= 0 || req.revision === this.#revision) return this.#readLatest(req, 0);
    this.#checkReadRevision(req.revision);
    const current = this.#revision;
    // The revision is in memory; make sure it is in LevelDB too.
    await this.#pendingWrite;
    this.#checkUsable();
    let response: RangeResponse;
    try {
      response = await this.#rangeHistory(req, current);
    } catch (err) {
      // A compaction past the revision started meanwhile and removed what the read needed.
      if (req.revision < this.#compactedRevision) throw new KvError("RAFTKV_COMPACTED", { cause: err });
      throw err;
    }
    // Physical compaction starts only after the compacted revision moved: if it did not move
    // past the revision, nothing the read saw was removed.
    if (req.revision < this.#compactedRevision) throw new KvError("RAFTKV_COMPACTED");
    return response;
  }

  #checkReadRevision(revision: number): void {
    if (revision > this.#revision) throw new KvError("RAFTKV_FUTURE_REVISION");
    if (revision < this.#compactedRevision) throw new KvError("RAFTKV_COMPACTED");
  }

  /** The kvs a range at the latest revision hands to finishRange, from the index. */
  #collect(req: RangeRequest, pending: Map<KeyValue, Live> | undefined): { kvs: KeyValue[]; count: number } {
    const limit = collectLimit(req);
    const kvs: KeyValue[] = [];
    let count = 0;
    this.#scan(keyBounds(req.key, req.rangeEnd), (name, live) => {
      count++;
      if (kvs.length < limit) kvs.push(this.#kvOf(name, live, pending));
      return true;
    });
    return { kvs, count };
  }

  /** A range inside an apply (a txn's): values not in memory are filled once the batch is written. */
  #rangeInApply(req: RangeRequest, revision: number): RangeResponse {
    const pending = wantsValues(req) ? new Map<KeyValue, Live>() : undefined;
    const { kvs, count } = this.#collect(req, pending);
    const response = finishRange(req, kvs, count, revision);
    if (pending !== undefined && pending.size > 0) {
      for (const kv of response.kvs) {
        const live = pending.get(kv);
        if (live !== undefined) this.#fills.set(kv, live);
      }
    }
    return response;
  }

  /**
   * A range at the latest revision for a client. The index is scanned and, if some value is not
   * in memory, a LevelDB snapshot is taken in the same synchronous step: the values are read from
   * the state the scan saw, whatever applies or compactions run meanwhile.
   */
  #readLatest(req: RangeRequest, attempt: number): RangeResponse | Promise<RangeResponse> {
    const revision = this.#revision;
    const pending = wantsValues(req) ? new Map<KeyValue, Live>() : undefined;
    const { kvs, count } = this.#collect(req, pending);
    if (pending === undefined || pending.size === 0) return finishRange(req, kvs, count, revision);
    const snapshot = this.#db.supports.explicitSnapshots ? this.#db.snapshot() : undefined;
    const retry = (err: unknown): RangeResponse | Promise<RangeResponse> => {
      // Only without snapshots: a compaction removed a version the scan saw live. Read again.
      if (err instanceof RecordRaced && attempt < 3) return this.#readLatest(req, attempt + 1);
      throw err;
    };
    if (sortsByValue(req)) {
      return this.#fill(pending, snapshot, true).then(() => finishRange(req, kvs, count, revision), retry);
    }
    const response = finishRange(req, kvs, count, revision);
    const wanted = new Map<KeyValue, Live>();
    for (const kv of response.kvs) {
      const live = pending.get(kv);
      if (live !== undefined) wanted.set(kv, live);
    }
    if (wanted.size === 0) {
      void snapshot?.close();
      return response;
    }
    return this.#fill(wanted, snapshot, true).then(() => response, retry);
  }

  /** Visits the live keys in bounds in key order until `visit` returns false. */
  #scan(bounds: KeyBounds, visit: (name: string, live: Live) => boolean): void {
    if (bounds.single) {
      const live = this.#tree.get(bounds.low);
      if (live !== undefined) visit(bounds.low, live);
      return;
    }
    if (boundsEmpty(bounds)) return;
    const reuse: (string | Live)[] = [];
    for (const [name, live] of this.#tree.entries(bounds.low, reuse)) {
      if (bounds.high !== null && name >= bounds.high) return;
      if (!visit(name, live)) return;
    }
  }

  async #rangeHistory(req: RangeRequest, current: number): Promise<RangeResponse> {
    const bounds = keyBounds(req.key, req.rangeEnd);
    if (boundsEmpty(bounds)) return finishRange(req, [], 0, current);
    const snapshot = this.#db.supports.explicitSnapshots ? this.#db.snapshot() : undefined;
    try {
      const pointers = await this.#historyPointers(bounds, req.key, req.revision, snapshot);
      const wanted = pointers.slice(0, Math.min(pointers.length, collectLimit(req)));
      const kvs: KeyValue[] = [];
      for (let at = 0; at < wanted.length; at += READ_BATCH) {
        const keys = wanted.slice(at, at + READ_BATCH);
        const records = await this.#db.getMany(keys, {
          keyEncoding: "buffer",
          valueEncoding: "buffer",
          ...(snapshot ? { snapshot } : {}),
        });
        records.forEach((record, i) => {
          if (record === undefined)
            throw new Error(`raftkv: KV history names missing record ${keys[i]!.toString("hex")}`);
          kvs.push(decodeRecord(record).kv);
        });
      }
      return finishRange(req, kvs, pointers.length, current);
    } finally {
      await snapshot?.close();
    }
  }

  /** The "r" keys of the versions live at `revision`, in key order, from the "h" keyspace. */
  async #historyPointers(
    bounds: KeyBounds,
    key: Buffer,
    revision: number,
    snapshot: KvSnapshot | undefined,
  ): Promise<Buffer[]> {
    const gte = historyPrefix(key);
    let lt: Buffer;
    if (bounds.single) {
      lt = Buffer.from(gte);
      lt[lt.length - 1] = 1;
    } else {
      lt = bounds.high === null ? HISTORY_RANGE.lt : historyPrefix(Buffer.from(bounds.high, "latin1"));
    }
    const pointers: Buffer[] = [];
    let group: Buffer | undefined;
    let best: Buffer | undefined;
    const flush = (): void => {
      if (best !== undefined) pointers.push(best);
    };
    const iterator = this.#db.iterator({
      gte,
      lt,
      keyEncoding: "buffer",
      valueEncoding: "buffer",
      ...(snapshot ? { snapshot } : {}),
    });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [entry, flag] of batch) {
          const { prefix, main } = splitHistoryKey(entry);
          if (group === undefined || !prefix.equals(group)) {
            flush();
            group = prefix;
            best = undefined;
          }
          if (main > revision) continue;
          best = flag[0] === 1 ? undefined : revisionKeyOf(entry.subarray(entry.length - 12));
        }
      }
      flush();
    } finally {
      await iterator.close();
    }
    return pointers;
  }

  /** The member metadata stored by apply() (or a snapshot), by member ID in ascending order. */
  async loadMembers(): Promise<[number, MemberMetadata][]> {
    this.#checkUsable();
    return this.#readMembers();
  }

  async #readMembers(): Promise<[number, MemberMetadata][]> {
    const members: [number, MemberMetadata][] = [];
    const iterator = this.#db.iterator({ ...MEMBER_RANGE, keyEncoding: "buffer", valueEncoding: "buffer" });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [key, value] of batch) members.push([readU64(key, 1), decodeMember(value)]);
      }
    } finally {
      await iterator.close();
    }
    return members;
  }

  // ---- Leases, history, compaction (lease.ts, history.ts, compactor.ts) ----

  /** A live lease of the replicated table (read-only). */
  lease(id: number): Lease | undefined {
    return this.#leases.get(id);
  }

  /** Active alarms of `type` (all of them for NONE), by member ID (replicated state). */
  alarms(type: AlarmType = "NONE"): AlarmMember[] {
    return this.#alarms.list(type);
  }

  /** Every live lease ID, ascending. */
  leaseIds(): number[] {
    return this.#leases.ids();
  }

  /**
   * The versions written by revisions [from, to] (at most about `maxRecords`, whole revisions),
   * for watch replay. Only revisions already handed to onApplied listeners are certain to be
   * there; check compactedRevision after the read (see history.ts).
   */
  historyRecords(from: number, to: number, maxRecords: number): Promise<HistorySlice> {
    this.#checkUsable();
    return readRevisions(this.#db, from, to, maxRecords);
  }

  /** The version of `key` live just before revision (main, sub), from history: a replayed prev_kv. */
  previousVersion(key: Buffer, main: number, sub: number): Promise<KeyValue | null> {
    this.#checkUsable();
    return previousVersion(this.#db, key, main, sub);
  }

  /** Resolves once history below `revision` is physically removed (Compact with `physical`). */
  waitCompaction(revision: number): Promise<void> {
    return this.#compactor.whenDone(Math.min(revision, this.#compactedRevision));
  }

  /** Revision up to which history is physically removed. */
  get physicallyCompactedRevision(): number {
    return this.#compactor.done;
  }

  /** Stops background work (physical compaction) before the database closes. */
  async close(): Promise<void> {
    await this.#compactor.pause();
  }

  /**
   * The node is shutting down: a snapshot import running now stops at its next batch (streaming
   * the snapshot or rebuilding the key index) with ImportStoppedError, and later imports refuse
   * to start, so that the database can close with no iterator or batch in flight. A stopped
   * import leaves the store as a crash at that point would: the next open finishes it.
   */
  stopImports(): void {
    this.#importsStopped = true;
  }

  #checkImportStopped(): void {
    if (this.#importsStopped && this.#state === "importing") throw new ImportStoppedError();
  }

  /** Resumes background work stopped by close(): the database was reopened (after a full disk). */
  resumeBackground(): void {
    this.#compactor.resume(this.#compactor.done, this.#compactedRevision);
  }

  /** Bytes of the live keys and values (not history): a cheap stand-in for etcd's dbSize. */
  approximateBytes(): number {
    return this.#liveBytes;
  }

  // ---- Convergence and snapshots ----

  /** CRC-32 of the latest state (every live key's key, value, revisions, version, lease). */
  async hashKV(): Promise<number> {
    return (await this.hashKVAt()).hash;
  }

  /**
   * hashKV() and the revision it covers: the state once no apply is running, read from a LevelDB
   * snapshot in key order (memory stays bounded by one read batch).
   */
  async hashKVAt(): Promise<{ hash: number; revision: number }> {
    this.#checkUsable();
    while (this.#state === "applying") await this.#applyDone;
    this.#checkUsable();
    // Idle: everything applied is written; the snapshot and the revision agree.
    const revision = this.#revision;
    const snapshot = this.#db.supports.explicitSnapshots ? this.#db.snapshot() : undefined;
    const withSnapshot = {
      keyEncoding: "buffer",
      valueEncoding: "buffer",
      ...(snapshot ? { snapshot } : {}),
    } as const;
    let crc = 0;
    const numbers = Buffer.allocUnsafe(32);
    const iterator = this.#db.iterator({ ...LATEST_RANGE, ...withSnapshot });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        const records = await this.#db.getMany(
          batch.map(([, latest]) => revisionKeyOf(latest)),
          withSnapshot,
        );
        records.forEach((record, i) => {
          if (record === undefined) {
            throw new Error(
              `raftkv: KV store corrupt: key ${batch[i]![0].toString("hex")} points to a missing record`,
            );
          }
          const { kv } = decodeRecord(record);
          numbers.writeUInt32BE(kv.key.length, 0);
          numbers.writeUInt32BE(kv.value.length, 4);
          numbers.writeDoubleBE(kv.createRevision, 8);
          numbers.writeDoubleBE(kv.modRevision, 16);
          numbers.writeDoubleBE(kv.version, 24);
          crc = crc32(numbers, crc);
          numbers.writeDoubleBE(kv.lease, 0);
          crc = crc32(numbers.subarray(0, 8), crc);
          crc = crc32(kv.key, crc);
          crc = crc32(kv.value, crc);
        });
      }
    } finally {
      await iterator.close();
      await snapshot?.close();
    }
    return { hash: crc, revision };
  }

  /**
   * Streams the whole KV keyspace (history included) from a LevelDB iterator, i.e. from an
   * implicit snapshot, in chunks of about 64 KiB (snapshot-format.ts). The stream carries its own
   * applied index and revision, those of the LevelDB state when the iterator opened: at least
   * appliedIndex at the time of the call.
   */
  async *exportSnapshot(): AsyncGenerator<Buffer, void, undefined> {
    this.#checkUsable();
    // Not needed for consistency (the stream carries its own meta), only so the stream holds at
    // least what was applied when it was asked for.
    await this.#pendingWrite;
    const iterator = this.#db.iterator({ keyEncoding: "buffer", valueEncoding: "buffer" });
    try {
      const writer = new SnapshotWriter();
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [key, value] of batch) {
          if (key.equals(META_IMPORTING))
            throw new Error("raftkv: exporting a store with an incomplete import");
          yield* writer.add(key, value);
        }
      }
      yield* writer.finish();
    } finally {
      await iterator.close();
    }
  }

  /**
   * Replaces the whole KV state with a snapshot stream, in bounded batches, then rebuilds the
   * in-memory index. `appliedIndex` is the Raft snapshot's index (0: unchecked): the stream must
   * hold at least that much (its own applied index, which becomes appliedIndex, may be higher: entries up to it
   * are then skipped by apply()). The result is synced to disk before this resolves, so the Raft
   * log before the snapshot may be dropped. If it throws, the store is unusable until an import
   * succeeds (and a restart finds `incompleteImport`).
   */
  async importSnapshot(
    chunks: AsyncIterable<Uint8Array>,
    appliedIndex = 0,
    options: { zeroPadding?: boolean } = {},
  ): Promise<void> {
    if (this.#state !== "idle") throw new Error(`raftkv: importSnapshot() while ${this.#state}`);
    if (this.#importsStopped) throw new ImportStoppedError();
    this.#state = "importing";
    try {
      await this.#pendingWrite.catch(() => undefined);
      // Physical compaction must not touch the keyspace being replaced; #load resumes it.
      await this.#compactor.pause();
      this.#failure = new IncompleteImportError();
      this.#tree = new BTree<string, Live>();
      this.#resetCache();
      this.#liveBytes = 0;
      await this.#db.put(META_IMPORTING, Buffer.of(1));
      await this.#db.clear({ lt: META_IMPORTING });
      await this.#db.clear({ gt: META_IMPORTING });
      let ops: BatchOp[] = [];
      let bytes = 0;
      await readSnapshot(
        chunks,
        async (key, value) => {
          if (!isLayoutKey(key) || key.equals(META_IMPORTING)) {
            throw new Error(`raftkv: KV snapshot holds foreign key ${key.toString("hex")}`);
          }
          ops.push({ type: "put", key, value });
          bytes += key.length + value.length;
          if (ops.length >= IMPORT_BATCH_OPS || bytes >= IMPORT_BATCH_BYTES) {
            this.#checkImportStopped();
            await this.#db.batch(ops);
            ops = [];
            bytes = 0;
          }
        },
        options,
      );
      await this.#db.batch(ops);
      const imported = await this.#db.get(META_APPLIED);
      const importedIndex = imported === undefined ? 0 : readU64(imported, 0);
      if (importedIndex < appliedIndex) {
        throw new Error(
          `raftkv: KV snapshot is at index ${importedIndex}, older than the Raft snapshot ${appliedIndex}`,
        );
      }
      // Synced: everything imported is on disk once the flag is gone.
      await this.#db.batch([{ type: "del", key: META_IMPORTING }], SYNCED);
      // Still unusable while the index is rebuilt (seconds with millions of keys): #load sets the
      // new revision first, and a read meanwhile would see part of the keys at it.
      this.#failure = new SnapshotInstallError("the key index is being rebuilt from an installed snapshot");
      await this.#load();
      this.#failure = undefined;
      this.#events = [];
      this.#emit(true);
    } catch (err) {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      this.#state = "idle";
    }
  }

  /**
   * Makes everything applied so far durable (a synced LevelDB write flushes the log before it).
   * Call before dropping Raft log entries that are only applied, not snapshotted elsewhere.
   */
  async persist(): Promise<void> {
    this.#checkUsable();
    await this.#pendingWrite;
    // A marker, not the applied index: writing that here could race an apply and move it back.
    await this.#db.batch([{ type: "put", key: META_SYNC, value: EMPTY_BYTES }], SYNCED);
  }

  // ---- Internals ----

  #enter(state: "applying"): void {
    this.#checkUsable();
    if (this.#state !== "idle") throw new Error(`raftkv: apply() while ${this.#state}`);
    this.#state = state;
  }

  #checkUsable(): void {
    if (this.#failure instanceof SnapshotInstallError) {
      throw new KvError("RAFTKV_INSTALLING_SNAPSHOT", { cause: this.#failure });
    }
    if (this.#failure !== undefined) {
      throw new Error(`raftkv: KV state machine unusable: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    }
  }

  #fail(err: unknown): never {
    this.#failure = err instanceof Error ? err : new Error(String(err));
    throw err;
  }

  async #write(ops: BatchOp[]): Promise<void> {
    const write = this.#db.batch(ops);
    this.#pendingWrite = write.catch(() => undefined);
    try {
      await write;
    } catch (err) {
      this.#fail(err);
    }
  }

  async #load(): Promise<void> {
    const [format, applied, revision, compacted, importing] = await this.#db.getMany([
      META_FORMAT,
      META_APPLIED,
      META_REVISION,
      META_COMPACTED,
      META_IMPORTING,
    ]);
    this.#tree = new BTree<string, Live>();
    this.#resetCache();
    this.#liveBytes = 0;
    this.#members = new Map();
    this.#leases = new LeaseTable();
    this.#auth.clear();
    this.#alarms = new AlarmTable();
    if (importing !== undefined) {
      this.#failure = new IncompleteImportError();
      return;
    }
    if (format === undefined) {
      this.#appliedIndex = 0;
      this.#revision = 1;
      this.#compactedRevision = 0;
      await this.#db.batch([
        { type: "put", key: META_FORMAT, value: Buffer.of(LAYOUT_VERSION) },
        { type: "put", key: META_APPLIED, value: u64Bytes(0) },
        { type: "put", key: META_REVISION, value: u64Bytes(1) },
        { type: "put", key: META_COMPACTED, value: u64Bytes(0) },
      ]);
      this.#compactor.resume(0, 0);
      return;
    }
    if (format[0] !== LAYOUT_VERSION) {
      throw new Error(`raftkv: KV store layout ${format[0]} is not ${LAYOUT_VERSION}`);
    }
    if (applied === undefined || revision === undefined || compacted === undefined) {
      throw new Error("raftkv: KV store metadata is incomplete");
    }
    this.#appliedIndex = readU64(applied, 0);
    this.#revision = readU64(revision, 0);
    this.#compactedRevision = readU64(compacted, 0);
    await this.#loadLatest();
    this.#members = new Map(await this.#readMembers());
    await this.#loadLeases();
    await this.#loadAuth();
    await this.#loadAlarms();
    const done = await this.#db.get(META_COMPACT_DONE);
    this.#compactor.resume(done === undefined ? 0 : readU64(done, 0), this.#compactedRevision);
  }

  /** The "a" keyspace: users, roles, enabled flag and auth revision. */
  async #loadAuth(): Promise<void> {
    const iterator = this.#db.iterator({ ...AUTH_RANGE, keyEncoding: "buffer", valueEncoding: "buffer" });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [key, value] of batch) {
          if (key.equals(AUTH_ENABLED_KEY)) this.#auth.restoreEnabled(value);
          else if (key.equals(AUTH_REVISION_KEY)) this.#auth.restoreRevision(value);
          else if (key[1] === AUTH_USER_TAG) this.#auth.restoreUser(value);
          else if (key[1] === AUTH_ROLE_TAG) this.#auth.restoreRole(value);
          else throw new Error(`raftkv: KV store corrupt: unknown auth key ${key.toString("hex")}`);
        }
      }
    } finally {
      await iterator.close();
    }
  }

  /** The "x" keyspace: active alarms. */
  async #loadAlarms(): Promise<void> {
    const iterator = this.#db.iterator({ ...ALARM_RANGE, keyEncoding: "buffer", valueEncoding: "buffer" });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [key] of batch) this.#alarms.restore(decodeAlarmKey(key));
      }
    } finally {
      await iterator.close();
    }
  }

  /** The lease records, then every live key attached to the lease its record names. */
  async #loadLeases(): Promise<void> {
    const iterator = this.#db.iterator({ ...LEASE_RANGE, keyEncoding: "buffer", valueEncoding: "buffer" });
    try {
      for (;;) {
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        for (const [key, value] of batch) this.#leases.restore(readU64(key, 1), value);
      }
    } finally {
      await iterator.close();
    }
    if (this.#leases.size === 0) return;
    this.#tree.forEach((live, name) => {
      this.#leases.attachLoaded(name, live.lease);
    });
  }

  /**
   * Rebuilds the key index from the "k" keyspace (key order). An entry of an older store holds the
   * revision only: its record is read for the rest (and the entry is complete from its next write).
   */
  async #loadLatest(): Promise<void> {
    const iterator = this.#db.iterator({
      ...LATEST_RANGE,
      keyEncoding: "buffer",
      valueEncoding: "buffer",
    });
    const tree = this.#tree;
    try {
      for (;;) {
        this.#checkImportStopped();
        const batch = await iterator.nextv(READ_BATCH);
        if (batch.length === 0) break;
        const old: [Buffer, Buffer][] = [];
        for (const entry of batch) {
          const [latest, value] = entry;
          if (value.length !== LATEST_VALUE_BYTES) {
            old.push(entry);
            continue;
          }
          const size = value.readUInt32BE(36);
          const live = new Live(
            readU64(value, 0),
            value.readUInt32BE(8),
            readU64(value, 12),
            readU64(value, 20),
            value.readDoubleBE(28),
            size,
            undefined,
          );
          tree.set(latest.toString("latin1", 1), live);
          this.#liveBytes += latest.length - 1 + size;
        }
        if (old.length > 0) await this.#loadOldLatest(old);
      }
    } finally {
      await iterator.close();
    }
  }

  /** "k" entries of the 12-byte form: the rest of the index entry comes from the record. */
  async #loadOldLatest(batch: readonly [Buffer, Buffer][]): Promise<void> {
    const records = await this.#db.getMany(batch.map(([, pointer]) => revisionKeyOf(pointer)));
    batch.forEach(([latest, pointer], i) => {
      const record = records[i];
      const key = latest.subarray(1);
      if (record === undefined || pointer.length !== REVISION_BYTES) {
        throw new Error(`raftkv: KV store corrupt: key ${key.toString("hex")} points to a missing record`);
      }
      const { kv, tombstone } = decodeRecord(record);
      if (tombstone || !kv.key.equals(key) || kv.modRevision !== readU64(pointer, 0)) {
        throw new Error(`raftkv: KV store corrupt: record of key ${key.toString("hex")} does not match`);
      }
      const live = new Live(
        kv.modRevision,
        pointer.readUInt32BE(8),
        kv.createRevision,
        kv.version,
        kv.lease,
        kv.value.length,
        undefined,
      );
      this.#tree.set(key.toString("latin1"), live);
      this.#liveBytes += key.length + kv.value.length;
    });
  }
}

/** The store is being replaced by a snapshot: streamed in, then its key index rebuilt. */
class SnapshotInstallError extends Error {}

/** A snapshot import stopped by stopImports() (the node is shutting down). */
export class ImportStoppedError extends Error {
  constructor() {
    super("raftkv: the snapshot import was stopped by the shutdown; the next start finishes it");
    this.name = "ImportStoppedError";
  }
}

class IncompleteImportError extends SnapshotInstallError {
  constructor() {
    super("the KV store holds an incomplete snapshot import; import a snapshot");
  }
}

/** Requests a NOSPACE alarm refuses (etcd's quota cost > 0): puts, txns with a put, lease grants. */
function addsData(command: Command): boolean {
  switch (command.kind) {
    case "put":
    case "leaseGrant":
      return true;
    case "txn":
      return txnHasPut(command.request);
    default:
      return false;
  }
}

function decodeMember(value: Buffer): MemberMetadata {
  const parsed = JSON.parse(value.toString("utf8")) as Partial<MemberMetadata>;
  if (
    typeof parsed.name !== "string" ||
    !Array.isArray(parsed.peerURLs) ||
    !Array.isArray(parsed.clientURLs)
  ) {
    throw new Error("raftkv: KV store corrupt: bad member metadata");
  }
  return { name: parsed.name, peerURLs: parsed.peerURLs, clientURLs: parsed.clientURLs };
}

/** etcd's compare of one key (undefined: absent); `value` is the live value for a VALUE compare. */
function compareLive(c: Compare, live: Live | undefined, value: Buffer): boolean {
  let result: number;
  switch (c.target) {
    case "VALUE":
      result = Buffer.compare(value, c.value ?? EMPTY_BYTES);
      break;
    case "VERSION":
      result = Math.sign((live?.version ?? 0) - (c.version ?? 0));
      break;
    case "CREATE":
      result = Math.sign((live?.create ?? 0) - (c.createRevision ?? 0));
      break;
    case "MOD":
      result = Math.sign((live?.mod ?? 0) - (c.modRevision ?? 0));
      break;
    case "LEASE":
      result = Math.sign((live?.lease ?? 0) - (c.lease ?? 0));
      break;
  }
  switch (c.result) {
    case "EQUAL":
      return result === 0;
    case "NOT_EQUAL":
      return result !== 0;
    case "GREATER":
      return result > 0;
    case "LESS":
      return result < 0;
  }
}
