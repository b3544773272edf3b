// The watch hub: delivers the store's changes to watchers, each event exactly once per watcher
// and in revision order, from the node's own applied state (so watches work on any member).
//
// Shape (after etcd's watchableStore): a watcher is either
// - SYNCED: it has every event up to the hub's revision; the events of each applied batch are
//   handed to it synchronously, as the state machine announces the batch (KvStateMachine
//   .onApplied: only once the batch is in LevelDB), or
// - UNSYNCED: it starts at a revision the hub has passed; one background loop replays history
//   from LevelDB (history.ts) in bounded slices for all unsynced watchers at once, and moves a
//   watcher to synced in the same synchronous step that hands it the last slice. Live batches go
//   to synced watchers only, so nothing is delivered twice or skipped.
// A watcher whose next revision was compacted away ends with the compacted revision (etcd cancels
// it with compact_revision set). A snapshot import replaces the store under the watchers: every
// synced watcher becomes unsynced and catches up from the imported history.
//
// Memory is bounded by the sinks: the API stream counts what it has queued and ends a watcher
// whose client does not keep up (a synced watcher cannot be slowed down without holding events);
// replay asks sink.ready() first and waits for notifyReady() instead of reading ahead.

import type { HistoryRecord, HistorySlice } from "./history.js";
import type { AppliedBatch } from "./mvcc.js";
import { type KeyBounds, keyBounds } from "./range.js";
import type { Event, KeyValue } from "./types.js";

/** What a watcher watches, as etcd's WatchCreateRequest says it. */
export interface WatchSpec {
  readonly key: Buffer;
  /** Empty: the key alone; "\0": every key >= key; else [key, rangeEnd). */
  readonly rangeEnd: Buffer;
  /** First revision to deliver; 0 (or less): from the next revision on. */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
}

/** Where a watcher's output goes (one per client stream, usually). Calls are synchronous. */
export interface WatchSink {
  /** Events for `watcher`, in revision order; every revision up to `revision` is delivered. */
  deliver(watcher: Watcher, events: Event[], revision: number): void;
  /** The hub ended the watcher: its start revision was compacted (compactRevision > 0). */
  ended(watcher: Watcher, compactRevision: number, reason: string): void;
  /** A progress notification: nothing more up to `revision` (progress_notify watchers). */
  progress(watcher: Watcher, revision: number): void;
  /** The watcher caught up with the hub (it is synced from now on). */
  synced?(watcher: Watcher): void;
  /** False while the sink's buffer is too full to take replayed history. */
  ready(): boolean;
}

/** The part of KvStateMachine the hub reads. */
export interface WatchSource {
  readonly revision: number;
  readonly compactedRevision: number;
  onApplied(listener: (batch: AppliedBatch) => void): () => void;
  historyRecords(from: number, to: number, maxRecords: number): Promise<HistorySlice>;
  previousVersion(key: Buffer, main: number, sub: number): Promise<KeyValue | null>;
}

export interface WatchHubOptions {
  /** Records read from history per replay slice. Default 1000. */
  historyBatchRecords?: number;
  /** Period of progress notifications to progress_notify watchers. Default 10 min (etcd's). */
  progressNotifyIntervalMs?: number;
}

export type WatcherState = "synced" | "unsynced" | "ended";

const COMPACTED_REASON = "etcdserver: mvcc: required revision has been compacted";

export class Watcher {
  /** Unique in the hub (not the client's watch_id: that is the stream's business). */
  readonly id: number;
  readonly spec: WatchSpec;
  readonly sink: WatchSink;
  readonly bounds: KeyBounds;
  /** The next revision this watcher may be handed; every earlier one was delivered or skipped. */
  nextRevision: number;
  state: WatcherState;

  constructor(id: number, spec: WatchSpec, sink: WatchSink, nextRevision: number) {
    this.id = id;
    this.spec = spec;
    this.sink = sink;
    this.bounds = keyBounds(spec.key, spec.rangeEnd);
    this.nextRevision = nextRevision;
    this.state = "unsynced";
  }

  /** True if the key (latin1) is in the watched range. */
  covers(name: string): boolean {
    const b = this.bounds;
    if (b.single) return name === b.low;
    return name >= b.low && (b.high === null || name < b.high);
  }

  wants(event: Event): boolean {
    return event.type === "PUT" ? !this.spec.noPut : !this.spec.noDelete;
  }
}

export class WatchHub {
  readonly #source: WatchSource;
  readonly #historyBatchRecords: number;
  /** Every revision up to this one has been announced (and is readable from history). */
  #revision: number;
  #compactedRevision: number;
  /** Synced watchers of a single key, by key (latin1). */
  readonly #single = new Map<string, Set<Watcher>>();
  /** Synced watchers of a range. */
  readonly #ranges = new Set<Watcher>();
  readonly #unsynced = new Set<Watcher>();
  #nextId = 1;
  #syncing = false;
  #syncAgain = false;
  #closed = false;
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;

  /** Subscribe before the source applies anything more: the hub starts at its current revision. */
  constructor(source: WatchSource, options: WatchHubOptions = {}) {
    this.#source = source;
    this.#historyBatchRecords = options.historyBatchRecords ?? 1000;
    this.#revision = source.revision;
    this.#compactedRevision = source.compactedRevision;
    this.#unsubscribe = source.onApplied((batch) => this.#onApplied(batch));
    this.#timer = setInterval(() => this.#notifyProgress(), options.progressNotifyIntervalMs ?? 600_000);
    this.#timer.unref();
  }

  /** The last revision every synced watcher has been handed. */
  get revision(): number {
    return this.#revision;
  }

  get compactedRevision(): number {
    return this.#compactedRevision;
  }

  /** Number of live watchers. */
  get size(): number {
    let single = 0;
    for (const set of this.#single.values()) single += set.size;
    return single + this.#ranges.size + this.#unsynced.size;
  }

  /**
   * Starts a watcher. It is synced at once when it starts after the hub's revision; otherwise it
   * replays history first (an already compacted start ends it, asynchronously, through the sink).
   */
  watch(spec: WatchSpec, sink: WatchSink): Watcher {
    if (this.#closed) throw new Error("raftkv: watch hub is closed");
    const start = spec.startRevision > 0 ? spec.startRevision : this.#revision + 1;
    const watcher = new Watcher(this.#nextId++, spec, sink, start);
    if (start > this.#revision) {
      this.#toSynced(watcher);
    } else {
      this.#unsynced.add(watcher);
      this.#kick();
    }
    return watcher;
  }

  /** Ends a watcher; nothing more reaches its sink. Idempotent. */
  cancel(watcher: Watcher): void {
    if (watcher.state === "synced") this.#removeSynced(watcher);
    else this.#unsynced.delete(watcher);
    watcher.state = "ended";
  }

  isSynced(watcher: Watcher): boolean {
    return watcher.state === "synced";
  }

  /** A sink has room again: replay continues for its unsynced watchers. */
  notifyReady(): void {
    if (this.#unsynced.size > 0) this.#kick();
  }

  /** Stops following the store; watchers stay as they are and get nothing more. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe();
  }

  // ---- Live delivery ----

  #onApplied(batch: AppliedBatch): void {
    this.#compactedRevision = batch.compactedRevision;
    if (batch.snapshot) {
      // The store was replaced: what synced watchers have not seen is in the imported history.
      const synced = [...this.#ranges];
      for (const set of this.#single.values()) synced.push(...set);
      for (const w of synced) {
        this.#removeSynced(w);
        w.nextRevision = Math.max(w.nextRevision, this.#revision + 1);
        w.state = "unsynced";
        this.#unsynced.add(w);
      }
      this.#revision = batch.revision;
      this.#kick();
      return;
    }
    if (batch.events.length > 0) this.#distribute(batch.events, batch.revision);
    this.#revision = batch.revision;
    if (this.#unsynced.size > 0) this.#kick();
  }

  #distribute(events: readonly Event[], revision: number): void {
    const out = new Map<Watcher, Event[]>();
    const withoutPrev = new Map<Event, Event>();
    /** prev_kv watchers an event's prev_kv value did not reach: they read it from history. */
    let replay: Set<Watcher> | undefined;
    const visit = (w: Watcher, event: Event, rev: number): void => {
      if (rev < w.nextRevision || !w.wants(event)) return;
      let view = event;
      if (!w.spec.prevKv && event.prevKv !== null) {
        view = withoutPrev.get(event) ?? { type: event.type, kv: event.kv, prevKv: null };
        withoutPrev.set(event, view);
      } else if (event.prevKvUnloaded === true) {
        replay ??= new Set();
        replay.add(w);
        return;
      }
      const list = out.get(w);
      if (list === undefined) out.set(w, [view]);
      else list.push(view);
    };
    for (const event of events) {
      const kv = event.kv!;
      const name = kv.key.toString("latin1");
      const exact = this.#single.get(name);
      if (exact !== undefined) for (const w of exact) visit(w, event, kv.modRevision);
      for (const w of this.#ranges) if (w.covers(name)) visit(w, event, kv.modRevision);
    }
    if (replay !== undefined) {
      // Nothing of this batch reaches them now: the replay hands them all of it, in order.
      for (const w of replay) {
        if (w.state !== "synced") continue;
        this.#removeSynced(w);
        w.state = "unsynced";
        this.#unsynced.add(w);
      }
    }
    for (const [w, list] of out) {
      // A sink may end watchers (its own, when its client is too slow) while it is handed events.
      if (w.state !== "synced" || replay?.has(w) === true) continue;
      w.nextRevision = revision + 1;
      w.sink.deliver(w, list, revision);
    }
  }

  #notifyProgress(): void {
    const revision = this.#revision;
    const visit = (w: Watcher): void => {
      if (w.spec.progressNotify && w.state === "synced") w.sink.progress(w, revision);
    };
    for (const set of this.#single.values()) for (const w of [...set]) visit(w);
    for (const w of [...this.#ranges]) visit(w);
  }

  #toSynced(w: Watcher): void {
    this.#unsynced.delete(w);
    w.state = "synced";
    if (w.bounds.single) {
      let set = this.#single.get(w.bounds.low);
      if (set === undefined) {
        set = new Set();
        this.#single.set(w.bounds.low, set);
      }
      set.add(w);
    } else {
      this.#ranges.add(w);
    }
  }

  #removeSynced(w: Watcher): void {
    if (w.bounds.single) {
      const set = this.#single.get(w.bounds.low);
      set?.delete(w);
      if (set?.size === 0) this.#single.delete(w.bounds.low);
    } else {
      this.#ranges.delete(w);
    }
  }

  #end(w: Watcher, compactRevision: number, reason: string): void {
    this.cancel(w);
    w.sink.ended(w, compactRevision, reason);
  }

  // ---- Replay ----

  #kick(): void {
    if (this.#closed) return;
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    // Never synchronously inside watch(): the caller registers the watcher before its sink hears of it.
    void Promise.resolve()
      .then(() => this.#syncLoop())
      .finally(() => {
        this.#syncing = false;
        if (this.#syncAgain) {
          this.#syncAgain = false;
          this.#kick();
        }
      });
  }

  async #syncLoop(): Promise<void> {
    while (!this.#closed && this.#unsynced.size > 0) {
      this.#syncAgain = false;
      const ready = this.#settleUnsynced();
      if (ready.length === 0) return;
      let from = Number.POSITIVE_INFINITY;
      for (const w of ready) from = Math.min(from, w.nextRevision);
      let slice: HistorySlice;
      let prevs: Map<HistoryRecord, KeyValue | null>;
      try {
        slice = await this.#source.historyRecords(from, this.#revision, this.#historyBatchRecords);
        prevs = await this.#previousVersions(slice.records, ready);
      } catch {
        // The store is being replaced (snapshot import) or failed: the next batch retries.
        return;
      }
      // A compaction that moved past `from` during the reads may have removed part of them.
      const compacted = Math.max(this.#compactedRevision, this.#source.compactedRevision);
      for (const w of ready) {
        if (w.state !== "unsynced") continue;
        if (w.nextRevision < compacted) {
          this.#end(w, compacted, COMPACTED_REASON);
          continue;
        }
        this.#replay(w, slice, prevs);
      }
    }
  }

  /** Ends compacted watchers, syncs caught-up ones; returns those that can take history now. */
  #settleUnsynced(): Watcher[] {
    const compacted = Math.max(this.#compactedRevision, this.#source.compactedRevision);
    const ready: Watcher[] = [];
    for (const w of [...this.#unsynced]) {
      if (w.nextRevision < compacted) {
        this.#end(w, compacted, COMPACTED_REASON);
      } else if (w.nextRevision > this.#revision) {
        this.#toSynced(w);
        w.sink.synced?.(w);
      } else if (w.sink.ready()) {
        ready.push(w);
      }
    }
    return ready;
  }

  #replay(w: Watcher, slice: HistorySlice, prevs: Map<HistoryRecord, KeyValue | null>): void {
    const events: Event[] = [];
    for (const record of slice.records) {
      if (record.main < w.nextRevision) continue;
      const name = record.kv.key.toString("latin1");
      if (!w.covers(name)) continue;
      const event: Event = {
        type: record.tombstone ? "DELETE" : "PUT",
        kv: record.kv,
        prevKv: w.spec.prevKv ? (prevs.get(record) ?? null) : null,
      };
      if (w.wants(event)) events.push(event);
    }
    w.nextRevision = Math.max(w.nextRevision, slice.through + 1);
    if (events.length > 0) w.sink.deliver(w, events, slice.through);
    if (w.state !== "unsynced") return;
    // Synchronously with the last slice: no batch can be announced in between.
    if (w.nextRevision > this.#revision) {
      this.#toSynced(w);
      w.sink.synced?.(w);
    }
  }

  /** prev_kv of the replayed records some prev_kv watcher will get. */
  async #previousVersions(
    records: readonly HistoryRecord[],
    watchers: readonly Watcher[],
  ): Promise<Map<HistoryRecord, KeyValue | null>> {
    const prevs = new Map<HistoryRecord, KeyValue | null>();
    const wanting = watchers.filter((w) => w.spec.prevKv);
    if (wanting.length === 0) return prevs;
    for (const record of records) {
      const name = record.kv.key.toString("latin1");
      if (!wanting.some((w) => record.main >= w.nextRevision && w.covers(name))) continue;
      prevs.set(record, await this.#source.previousVersion(record.kv.key, record.main, record.sub));
    }
    return prevs;
  }
}
