// etcdserverpb.Watch: one bidirectional stream carries many watchers (src/kv/watch.ts), each
// known to the client by its watch_id (client-chosen when non-zero and unused on the stream,
// else the lowest free ID counting from 0, as etcd).
//
// Responses are encoded here, by hand, instead of by proto-loader: with many watchers on one key
// range the same events go to every watcher, so each event is encoded once and its bytes copied
// into every watcher's response (watchServiceDefinition lets those bytes through unencoded).
//
// Memory is bounded per stream: the bytes handed to grpc-js and not yet written to the socket are
// counted. A watcher whose events would push a stream past maxPendingBytes is canceled with a
// reason (etcd would fall back to slow catch-up; raftkv tells the client, which may watch again
// from its last revision + 1). History replay pauses while a stream is above readyBytes.

import type {
  MethodDefinition,
  ServerDuplexStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import type { Event, KeyValue, WatchRequest } from "../kv/types.js";
import type { Watcher, WatchHub, WatchSink, WatchSpec } from "../kv/watch.js";
import type { HandlerContext } from "./call.js";

const SERVICE = "etcdserverpb.Watch";

export interface WatchLimits {
  /** Watchers on one stream; past it a create is answered canceled. Default 10,000. */
  maxWatchersPerStream: number;
  /** Response bytes queued on one stream before a watcher is canceled. Default 16 MiB. */
  maxPendingBytes: number;
  /** Replay of history waits while more than this is queued. Default 1 MiB. */
  readyBytes: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatchersPerStream: 10_000,
  maxPendingBytes: 16 * 1024 * 1024,
  readyBytes: 1024 * 1024,
};

/** etcd's clientv3.InvalidWatchID: the watch_id of a progress response to a progress request. */
const PROGRESS_WATCH_ID = -1;

const STOPPED = { code: status.UNAVAILABLE, details: "etcdserver: server stopped" };
const REASON_EMPTY_RANGE = "mvcc: watcher range is empty";
const REASON_DUPLICATE_ID = "mvcc: duplicate watch ID provided on the WatchStream";

/** The Watch service definition with Watch's serializer letting pre-encoded Buffers through. */
export function watchServiceDefinition(definition: ServiceDefinition): ServiceDefinition {
  const method = definition.Watch as MethodDefinition<unknown, unknown> | undefined;
  if (method === undefined) throw new Error("Watch service definition has no method Watch");
  const encode = method.responseSerialize;
  return {
    ...definition,
    Watch: {
      ...method,
      responseSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : encode(value)),
    },
  };
}

/** `openStreams`: each open stream registers a function that ends it (server shutdown). */
export function watchService(
  context: HandlerContext,
  hub: WatchHub,
  limits: WatchLimits = DEFAULT_WATCH_LIMITS,
  openStreams: Set<() => void> = new Set(),
): UntypedServiceImplementation {
  const metrics = context.bind("bidi_stream", SERVICE, "Watch");
  return {
    Watch: (call: ServerDuplexStream<WatchRequest, Buffer>): void => {
      const startMs = performance.now();
      const session = new WatchSession(context, hub, limits, call);
      const end = (): void => session.stop();
      openStreams.add(end);
      session.start(() => {
        openStreams.delete(end);
        metrics.done(startMs, status.OK);
      });
    },
  };
}

// ---- Encoding (etcdserverpb.WatchResponse, mvccpb.Event, mvccpb.KeyValue; proto3 canonical) ----

interface ResponseFields {
  revision: number;
  watchId: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
  events?: readonly Event[];
}

const encodedEvents = new WeakMap<Event, Uint8Array>();

function writeKeyValue(w: protobuf.Writer, kv: KeyValue): void {
  if (kv.key.length > 0) w.uint32(10).bytes(kv.key);
  if (kv.createRevision !== 0) w.uint32(16).int64(kv.createRevision);
  if (kv.modRevision !== 0) w.uint32(24).int64(kv.modRevision);
  if (kv.version !== 0) w.uint32(32).int64(kv.version);
  if (kv.value.length > 0) w.uint32(42).bytes(kv.value);
  if (kv.lease !== 0) w.uint32(48).int64(kv.lease);
}

/** An event's bytes, encoded once however many watchers it goes to. */
export function encodeEvent(event: Event): Uint8Array {
  let bytes = encodedEvents.get(event);
  if (bytes !== undefined) return bytes;
  const w = protobuf.Writer.create();
  if (event.type === "DELETE") w.uint32(8).int32(1);
  if (event.kv !== null) {
    w.uint32(18).fork();
    writeKeyValue(w, event.kv);
    w.ldelim();
  }
  if (event.prevKv !== null) {
    w.uint32(26).fork();
    writeKeyValue(w, event.prevKv);
    w.ldelim();
  }
  bytes = w.finish();
  encodedEvents.set(event, bytes);
  return bytes;
}

/** The last header encoded (every watcher of a batch gets the same one). */
let headerCache: { revision: number; term: number; context: HandlerContext; bytes: Uint8Array } | undefined;

function encodeHeader(context: HandlerContext, revision: number): Uint8Array {
  const term = context.backend.raftTerm();
  const cached = headerCache;
  if (cached?.revision === revision && cached.term === term && cached.context === context)
    return cached.bytes;
  const header = context.header(revision);
  const w = protobuf.Writer.create();
  if (header.clusterId !== 0) w.uint32(8).uint64(header.clusterId);
  if (header.memberId !== 0) w.uint32(16).uint64(header.memberId);
  if (header.revision !== 0) w.uint32(24).int64(header.revision);
  if (header.raftTerm !== 0) w.uint32(32).uint64(header.raftTerm);
  const bytes = w.finish();
  headerCache = { revision, term, context, bytes };
  return bytes;
}

function encodeResponse(context: HandlerContext, f: ResponseFields): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).bytes(encodeHeader(context, f.revision));
  if (f.watchId !== 0) w.uint32(16).int64(f.watchId);
  if (f.created) w.uint32(24).bool(true);
  if (f.canceled) w.uint32(32).bool(true);
  if (f.compactRevision) w.uint32(40).int64(f.compactRevision);
  if (f.cancelReason) w.uint32(50).string(f.cancelReason);
  for (const event of f.events ?? []) w.uint32(90).bytes(encodeEvent(event));
  const out = w.finish();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

// ---- One client stream ----

/** Sessions with queued responses, flushed together once the current I/O callbacks are done. */
const toFlush = new Set<WatchSession>();

function flushSoon(session: WatchSession): void {
  if (toFlush.size === 0) setImmediate(flushAll);
  toFlush.add(session);
}

function flushAll(): void {
  const sessions = [...toFlush];
  toFlush.clear();
  for (const session of sessions) session.flush();
}

class WatchSession implements WatchSink {
  readonly #context: HandlerContext;
  readonly #hub: WatchHub;
  readonly #limits: WatchLimits;
  readonly #call: ServerDuplexStream<WatchRequest, Buffer>;
  readonly #byId = new Map<number, Watcher>();
  readonly #idOf = new Map<Watcher, number>();
  #nextId = 0;
  #pendingBytes = 0;
  #closed = false;
  /** A progress request waits until every watcher of the stream is synced. */
  #progressWanted = false;

  constructor(
    context: HandlerContext,
    hub: WatchHub,
    limits: WatchLimits,
    call: ServerDuplexStream<WatchRequest, Buffer>,
  ) {
    this.#context = context;
    this.#hub = hub;
    this.#limits = limits;
    this.#call = call;
  }

  start(onClose: () => void): void {
    const call = this.#call;
    call.on("data", (request: WatchRequest) => {
      try {
        this.#onRequest(request);
      } catch (err) {
        this.#context.logger.error({ err }, "watch request failed");
        this.#fail();
      }
    });
    // A client that half-closes keeps its watchers (as etcd): the stream lives until canceled.
    call.on("end", () => undefined);
    const close = (): void => {
      if (this.#closed) return;
      this.#close();
      onClose();
    };
    call.on("cancelled", close);
    call.on("error", close);
    call.on("close", close);
  }

  // ---- WatchSink ----

  deliver(watcher: Watcher, events: Event[], revision: number): void {
    const id = this.#idOf.get(watcher);
    if (id === undefined) return;
    const bytes = encodeResponse(this.#context, { revision, watchId: id, events });
    // A single response larger than the limit still goes to a client that has read everything.
    if (this.#pendingBytes > 0 && this.#pendingBytes + bytes.length > this.#limits.maxPendingBytes) {
      this.#forget(watcher);
      this.#hub.cancel(watcher);
      this.#send({
        revision,
        watchId: id,
        canceled: true,
        cancelReason:
          `raftkv: watcher canceled: the client is not reading its events fast enough ` +
          `(more than ${this.#limits.maxPendingBytes} bytes queued); watch again from the last revision seen + 1`,
      });
      return;
    }
    this.#write(bytes);
  }

  ended(watcher: Watcher, compactRevision: number, reason: string): void {
    const id = this.#idOf.get(watcher);
    if (id === undefined) return;
    this.#forget(watcher);
    this.#send({
      revision: this.#hub.revision,
      watchId: id,
      canceled: true,
      compactRevision,
      cancelReason: reason,
    });
    this.#maybeProgress();
  }

  progress(watcher: Watcher, revision: number): void {
    const id = this.#idOf.get(watcher);
    if (id === undefined || !this.ready()) return;
    this.#send({ revision, watchId: id });
  }

  synced(): void {
    this.#maybeProgress();
  }

  ready(): boolean {
    return !this.#closed && this.#pendingBytes <= this.#limits.readyBytes;
  }

  // ---- Requests ----

  #onRequest(request: WatchRequest): void {
    if (this.#closed) return;
    if (request.createRequest) this.#create(request.createRequest);
    else if (request.cancelRequest) this.#cancel(request.cancelRequest.watchId);
    else if (request.requestUnion === "progressRequest") {
      this.#progressWanted = true;
      this.#maybeProgress();
    }
  }

  #create(req: NonNullable<WatchRequest["createRequest"]>): void {
    const revision = this.#hub.revision;
    // etcd: an empty key means "\0", the smallest key.
    const key = req.key.length === 0 ? Buffer.of(0) : req.key;
    const rangeEnd = req.rangeEnd;
    const toEnd = rangeEnd.length === 1 && rangeEnd[0] === 0;
    let id = req.watchId;
    let refusal: string | undefined;
    if (rangeEnd.length > 0 && !toEnd && Buffer.compare(key, rangeEnd) >= 0) refusal = REASON_EMPTY_RANGE;
    else if (id !== 0 && this.#byId.has(id)) refusal = REASON_DUPLICATE_ID;
    else if (this.#byId.size >= this.#limits.maxWatchersPerStream) {
      refusal = `raftkv: too many watchers on one stream (at most ${this.#limits.maxWatchersPerStream})`;
    }
    // Authorization (as etcd's isWatchPermitted): read permission on the watched range.
    refusal ??= this.#context.auth?.watchRefusal(this.#call, key, rangeEnd);
    if (refusal !== undefined) {
      this.#send({ revision, watchId: -1, created: true, canceled: true, cancelReason: refusal });
      return;
    }
    if (id === 0) {
      while (this.#byId.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    }
    const filters = new Set<string>(req.filters.map(String));
    const spec: WatchSpec = {
      key: Buffer.from(key),
      rangeEnd: Buffer.from(rangeEnd),
      startRevision: req.startRevision,
      prevKv: req.prevKv,
      noPut: filters.has("NOPUT"),
      noDelete: filters.has("NODELETE"),
      progressNotify: req.progressNotify,
    };
    // "created" goes out before anything the watcher can be handed (writes are in order).
    this.#send({ revision, watchId: id, created: true });
    const watcher = this.#hub.watch(spec, this);
    this.#byId.set(id, watcher);
    this.#idOf.set(watcher, id);
  }

  #cancel(id: number): void {
    const watcher = this.#byId.get(id);
    // etcd 3.4 answers nothing for an unknown watch_id.
    if (watcher === undefined) return;
    this.#forget(watcher);
    this.#hub.cancel(watcher);
    this.#send({ revision: this.#hub.revision, watchId: id, canceled: true });
    this.#maybeProgress();
  }

  /** A progress response once every watcher of the stream has all events up to the hub's revision. */
  #maybeProgress(): void {
    if (!this.#progressWanted) return;
    for (const w of this.#byId.values()) if (!this.#hub.isSynced(w)) return;
    this.#progressWanted = false;
    this.#send({ revision: this.#hub.revision, watchId: PROGRESS_WATCH_ID });
  }

  // ---- Output ----

  #send(fields: ResponseFields): void {
    this.#write(encodeResponse(this.#context, fields));
  }

  /**
   * Queues a response; queued responses go to grpc-js in the next check phase (flushSoon), so the
   * fan-out of an applied batch to many streams does not delay the answer to the write that made
   * it. Order on the stream is the order of #write calls.
   */
  #write(bytes: Buffer): void {
    if (this.#closed) return;
    this.#pendingBytes += bytes.length;
    this.#queue.push(bytes);
    if (this.#queue.length === 1) flushSoon(this);
  }

  #queue: Buffer[] = [];

  /** Hands the queued responses to grpc-js (flushSoon calls it). */
  flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    if (this.#closed) return;
    for (const bytes of queue) {
      const size = bytes.length;
      this.#call.write(bytes, () => {
        const wasReady = this.ready();
        this.#pendingBytes -= size;
        if (!wasReady && this.ready()) this.#hub.notifyReady();
      });
    }
  }

  #forget(watcher: Watcher): void {
    const id = this.#idOf.get(watcher);
    this.#idOf.delete(watcher);
    if (id !== undefined) this.#byId.delete(id);
  }

  #fail(): void {
    this.#close();
    this.#call.emit("error", { code: status.INTERNAL, details: "etcdserver: internal error" });
  }

  /** The server is stopping: the client should watch on another member. */
  stop(): void {
    if (this.#closed) return;
    this.#close();
    this.#call.emit("error", STOPPED);
  }

  #close(): void {
    this.#closed = true;
    for (const watcher of this.#byId.values()) this.#hub.cancel(watcher);
    this.#byId.clear();
    this.#idOf.clear();
  }
}
