// GrpcTransport: carries the Raft core's messages between members over gRPC.
//
// Outbound, each peer has a PeerLink (peer.ts): its own bounded queue and its own long-lived
// stream, so a slow or dead peer only ever loses its own messages. send() encodes each message
// once, queues it, and one flush per turn of the event loop writes one Batch per peer.
//
// Inbound, the server checks every stream and every Batch: our cluster, addressed to us, from a
// member in the peer map, well-formed. Anything else is answered with a clear gRPC status,
// counted, and logged at warn at most once per offender per minute; the server keeps serving.

import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials as grpcCredentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from "@grpc/grpc-js";
import type { Message, NodeId } from "../raft/types.js";
import type { CertificateWatcher } from "../tls/certificates.js";
import { reloadingChannelCredentials } from "../tls/grpc-credentials.js";
import { type FrontListener, startFrontListener } from "../tls/listener.js";
import {
  decodeBatch,
  decodeProbeRequest,
  decodeProbeResponse,
  decodeSnapshotChunk,
  encodeBatchMessage,
  encodeProbeRequest,
  encodeProbeResponse,
  isLocalMessageType,
  type ProbeResponse,
} from "./codec.js";
import { fromServiceError, hexId, MEMBER_REMOVED_MESSAGE, TransportError } from "./errors.js";
import { type Logger, RateLimiter, SILENT_LOGGER } from "./log.js";
import {
  CLUSTER_ID_METADATA_KEY,
  FROM_METADATA_KEY,
  INSTALL_SNAPSHOT_PATH,
  identity,
  type LinkContext,
  PeerLink,
  type PeerState,
  type PeerStats,
  PROBE_PATH,
  STREAM_PATH,
  TO_METADATA_KEY,
} from "./peer.js";
import { parseListenAddress, parsePeerUrl } from "./url.js";
import { WireError } from "./wire.js";

/** The largest gRPC message a peer server accepts (grpc.max_receive_message_length). */
export const MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER = 4096;
export const DEFAULT_MAX_QUEUED_BYTES_PER_PEER = 64 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER = 4 * 1024 * 1024;
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
const WARN_INTERVAL_MS = 60_000;

export interface TransportTlsOptions {
  /** PEM CA bundle that signs the peers' certificates; peers must present one (mutual TLS). */
  readonly ca: Buffer;
  /** This member's PEM certificate chain and key, served and presented as a client. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Overrides the name checked against the peer's certificate (tests; IP-addressed peers). */
  readonly serverNameOverride?: string;
}

export interface GrpcTransportOptions {
  readonly clusterId: number;
  readonly memberId: NodeId;
  /** Where the peer server listens, "host:port" (port 0: any free port). */
  readonly listen: string;
  /** This member's name, answered to Probe. */
  readonly name?: string;
  readonly logger?: Logger;
  /** Receives each valid Batch's messages (one call per batch, in the order sent). Must not
   *  throw: an exception is taken for a bug and rethrown as an uncaught exception. */
  readonly onMessages: (msgs: Message[]) => void;
  /**
   * Receives an incoming snapshot: the `snap` message (snapshot metadata, data empty) and the
   * data as a stream to consume (bounded memory: chunks arrive as they are read). Resolve once
   * it is stored; reject to refuse it. Iterating throws if the sender's stream breaks.
   */
  readonly onSnapshot: (msg: Message, chunks: AsyncIterable<Buffer>) => Promise<void>;
  /** A peer's stream failed (the node calls raft.reportUnreachable). */
  readonly onUnreachable?: (id: NodeId) => void;
  /** A peer refused this member as removed from the cluster (see markRemoved). */
  readonly onRemoved?: (reportedBy: NodeId) => void;
  /** A peer link changed state (observability; tests wait on it). */
  readonly onPeerStateChange?: (id: NodeId, state: PeerState) => void;
  /** Messages queued per peer before further ones are dropped (default 4096). */
  readonly maxQueuedMessagesPerPeer?: number;
  /** Bytes queued per peer before further messages are dropped (default 64 MiB). */
  readonly maxQueuedBytesPerPeer?: number;
  /** Bytes per Batch, unless one message alone is larger (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Bytes written to a peer's stream and not yet flushed to its socket (default 4 MiB). */
  readonly maxInFlightBytesPerPeer?: number;
  /** Back-off between attempts to reopen a broken stream: doubles from initial to max, ±20%. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly tls?: TransportTlsOptions;
  /**
   * Mutual TLS from files that are reloaded when they change (--peer-cert-file, ...): the server
   * requires a client certificate signed by the trusted CA (and logs refused handshakes); each
   * new outgoing connection uses the newest files. Takes precedence over `tls`.
   */
  readonly tlsFiles?: CertificateWatcher;
}

export interface TransportStats {
  readonly sent: number;
  readonly dropped: number;
  readonly received: number;
  /** Batches, streams, snapshots and probes rejected, from members or not, malformed or not. */
  readonly rejected: number;
  readonly peers: ReadonlyMap<
    NodeId,
    Readonly<PeerStats> & { readonly state: PeerState; readonly queued: number }
  >;
}

export interface ProbeOptions {
  /** Fail unless the member answering has this ID (0: any). */
  readonly expectMemberId?: NodeId;
  readonly timeoutMs?: number;
}

export class GrpcTransport {
  readonly #opts: GrpcTransportOptions;
  readonly #ctx: LinkContext;
  readonly #logger: Logger;
  readonly #warnLimiter = new RateLimiter(WARN_INTERVAL_MS);
  readonly #peers = new Map<NodeId, PeerLink>();
  readonly #dirty = new Set<PeerLink>();
  #flushScheduled = false;
  #server: Server | null = null;
  #front: FrontListener | null = null;
  #closed = false;
  /** Totals, including traffic of peers since removed and of non-members. */
  #dropped = 0;
  #rejected = 0;
  #received = 0;
  #sentOfRemovedPeers = 0;
  /** Members removed from the cluster: refused with RAFTKV_MEMBER_REMOVED, so they stop. */
  readonly #removedMembers = new Set<NodeId>();
  /** Open inbound streams by sender: ended at once when the sender is removed. */
  readonly #inbound = new Map<NodeId, Set<(err: TransportError) => void>>();

  constructor(opts: GrpcTransportOptions) {
    checkId(opts.clusterId, "clusterId");
    checkId(opts.memberId, "memberId");
    this.#opts = opts;
    this.#logger = opts.logger ?? SILENT_LOGGER;
    const maxBatchBytes = positive(opts.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, "maxBatchBytes");
    if (maxBatchBytes > MAX_RECEIVE_MESSAGE_BYTES) {
      throw new TypeError(`raftkv: maxBatchBytes must be at most ${MAX_RECEIVE_MESSAGE_BYTES}`);
    }
    const backoffInitialMs = positive(opts.backoffInitialMs, 100, "backoffInitialMs");
    this.#ctx = {
      clusterId: opts.clusterId,
      memberId: opts.memberId,
      logger: this.#logger,
      warnLimiter: this.#warnLimiter,
      credentials:
        opts.tlsFiles !== undefined
          ? reloadingChannelCredentials(opts.tlsFiles)
          : clientCredentials(opts.tls),
      channelOptions: channelOptions(opts.tls),
      maxQueuedMessages: positive(
        opts.maxQueuedMessagesPerPeer,
        DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER,
        "maxQueuedMessagesPerPeer",
      ),
      maxQueuedBytes: positive(
        opts.maxQueuedBytesPerPeer,
        DEFAULT_MAX_QUEUED_BYTES_PER_PEER,
        "maxQueuedBytesPerPeer",
      ),
      maxBatchBytes,
      maxInFlightBytes: positive(
        opts.maxInFlightBytesPerPeer,
        DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER,
        "maxInFlightBytesPerPeer",
      ),
      maxMessageBytes: MAX_RECEIVE_MESSAGE_BYTES - 1024,
      snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
      snapshotInFlightBytes: 4 * SNAPSHOT_CHUNK_BYTES,
      backoffInitialMs,
      backoffMaxMs: Math.max(backoffInitialMs, positive(opts.backoffMaxMs, 1000, "backoffMaxMs")),
      random: Math.random,
      onUnreachable: (id) => opts.onUnreachable?.(id),
      onRemoved: (id) => opts.onRemoved?.(id),
      onStateChange: (id, state) => opts.onPeerStateChange?.(id, state),
    };
  }

  // ------------------------------------------------------------------------------ lifecycle

  /** Starts the peer server. Resolves with the bound port (useful with port 0). */
  async start(): Promise<{ port: number }> {
    if (this.#closed) throw new TransportError("RAFTKV_TRANSPORT_CLOSED", "raftkv: transport is closed");
    if (this.#server !== null) throw new Error("raftkv: transport already started");
    const server = new Server({
      "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_RECEIVE_MESSAGE_BYTES,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
    });
    server.addService(RAFT_SERVICE, {
      Stream: (call: ServerReadableStream<Buffer, Buffer>, cb: sendUnaryData<Buffer>) =>
        this.#serveStream(call, cb),
      InstallSnapshot: (call: ServerReadableStream<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        void this.#serveSnapshot(call, cb);
      },
      Probe: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.#serveProbe(call, cb),
    });
    this.#server = server;
    const address = parseListenAddress(this.#opts.listen);
    if (this.#opts.tlsFiles !== undefined) return this.#startTls(server, address, this.#opts.tlsFiles);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, serverCredentials(this.#opts.tls), (err, boundPort) => {
        if (err)
          reject(new Error(`raftkv: cannot listen for peers on ${address}: ${err.message}`, { cause: err }));
        else resolve(boundPort);
      });
    });
    this.#logger.info(
      { listen: address, port, member: hexId(this.#opts.memberId) },
      "raftkv: peer transport listening",
    );
    return { port };
  }

  /** The server behind our own TLS listener, which reloads certificates and logs refusals. */
  async #startTls(server: Server, address: string, watcher: CertificateWatcher): Promise<{ port: number }> {
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    const split = /^\[?(.*?)\]?:(\d+)$/.exec(address);
    let front: FrontListener;
    try {
      front = await startFrontListener({
        host: split?.[1] ?? "",
        port: Number(split?.[2]),
        tls: watcher,
        onHttp2: (socket) => injector.injectConnection(socket),
        logger: this.#logger,
        what: "peer",
      });
    } catch (err) {
      throw new Error(`raftkv: cannot listen for peers on ${address}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.#front = front;
    this.#logger.info(
      { listen: address, port: front.port, member: hexId(this.#opts.memberId), tls: true },
      "raftkv: peer transport listening",
    );
    return { port: front.port };
  }

  /** Closes every stream and the server. Queued messages are dropped. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of this.#peers.values()) this.#retire(link);
    this.#peers.clear();
    this.#dirty.clear();
    const server = this.#server;
    this.#server = null;
    const front = this.#front;
    this.#front = null;
    if (front !== null) await front.close();
    if (server !== null) {
      // Streams are long-lived by design: a graceful shutdown would wait for the peers.
      server.forceShutdown();
    }
  }

  // ------------------------------------------------------------------------------ peers

  /** Adds or updates a peer ("http://host:port", "https://…", or "host:port"; DNS names too). */
  addPeer(id: NodeId, url: string): void {
    checkId(id, "peer id");
    if (id === this.#opts.memberId) throw new TypeError(`raftkv: member ${hexId(id)} cannot be its own peer`);
    const address = parsePeerUrl(url);
    if (address.scheme === "https" && this.#opts.tls === undefined && this.#opts.tlsFiles === undefined) {
      throw new TypeError(`raftkv: peer URL ${url} asks for TLS but the transport has no TLS configuration`);
    }
    if (this.#closed) return;
    const existing = this.#peers.get(id);
    if (existing !== undefined) {
      if (existing.url === url) return;
      this.#retire(existing);
    }
    this.#peers.set(id, new PeerLink(this.#ctx, id, url, address));
  }

  /** Removes a peer: its stream closes, queued messages drop, its messages are rejected. */
  removePeer(id: NodeId): void {
    const link = this.#peers.get(id);
    if (link === undefined) return;
    this.#peers.delete(id);
    this.#retire(link);
  }

  /**
   * The member was removed from the cluster for good: it is no longer a peer, its open streams
   * end and whatever it sends later is refused with RAFTKV_MEMBER_REMOVED, which tells it to stop.
   */
  markRemoved(id: NodeId): void {
    this.#removedMembers.add(id);
    this.removePeer(id);
    const err = removedError(id);
    for (const end of [...(this.#inbound.get(id) ?? [])]) end(err);
  }

  /** Makes the peer map equal `peers` (this member, if present, is skipped). */
  setPeers(peers: ReadonlyMap<NodeId, string> | Readonly<Record<string, string>>): void {
    const wanted =
      peers instanceof Map ? peers : new Map(Object.entries(peers).map(([k, v]) => [Number(k), v]));
    for (const id of [...this.#peers.keys()]) if (!wanted.has(id)) this.removePeer(id);
    for (const [id, url] of wanted) if (id !== this.#opts.memberId) this.addPeer(id, url);
  }

  peerIds(): NodeId[] {
    return [...this.#peers.keys()];
  }

  /** Closes a link and keeps its counts in the totals. */
  #retire(link: PeerLink): void {
    this.#dirty.delete(link);
    link.close();
    this.#sentOfRemovedPeers += link.stats.sent;
    this.#dropped += link.stats.dropped;
    this.#received += link.stats.received;
  }

  // ------------------------------------------------------------------------------ sending

  /**
   * Queues messages for their peers and flushes them at the end of this turn of the event loop.
   * Never blocks, never throws: a message to an unknown, unreachable or backed-up peer, or one
   * that cannot be encoded, is dropped and counted (Raft retries).
   */
  send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      const link = this.#peers.get(m.to);
      if (link === undefined) {
        this.#dropped++;
        this.#warnOnce(
          `to:${m.to}`,
          { to: hexId(m.to) },
          "raftkv: message to a member not in the peer map dropped",
        );
        continue;
      }
      if (!link.accepting()) {
        link.stats.dropped++;
        continue;
      }
      let encoded: Buffer;
      try {
        if (
          m.from !== this.#opts.memberId ||
          m.clusterId !== this.#opts.clusterId ||
          isLocalMessageType(m.type)
        ) {
          throw new TypeError(
            `raftkv: message ${m.type} from ${hexId(m.from)} in cluster ${hexId(m.clusterId)} is not ours to send`,
          );
        }
        encoded = encodeBatchMessage(m);
      } catch (err) {
        link.stats.dropped++;
        this.#warnOnce(
          `encode:${m.type}`,
          { error: (err as Error).message },
          "raftkv: message not sendable, dropped",
        );
        continue;
      }
      if (link.enqueue(encoded)) this.#dirty.add(link);
    }
    if (this.#dirty.size > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    for (const link of this.#dirty) link.flush();
    this.#dirty.clear();
  };

  /**
   * Streams a snapshot to `msg.to`: `msg` (type snap, with the snapshot metadata; its data is not
   * sent) then the bytes of `source()`, in chunks, never more than a few MiB buffered.
   * Resolves true once the peer stored it, false on failure (unknown peer, broken stream,
   * refused, source error).
   */
  async sendSnapshot(msg: Message, source: () => AsyncIterable<Uint8Array>): Promise<boolean> {
    if (msg.type !== "snap" || msg.snapshot === null) {
      throw new TypeError("raftkv: sendSnapshot needs a snap message with snapshot metadata");
    }
    if (msg.from !== this.#opts.memberId || msg.clusterId !== this.#opts.clusterId) {
      throw new TypeError("raftkv: sendSnapshot: the message is not from this member of this cluster");
    }
    const link = this.#peers.get(msg.to);
    if (link === undefined || this.#closed) return false;
    return link.sendSnapshot(msg, source);
  }

  /**
   * Asks the member at `url` who it is. Rejects with a TransportError: RAFTKV_WRONG_CLUSTER,
   * RAFTKV_WRONG_MEMBER (not `expectMemberId`), RAFTKV_PEER_UNAVAILABLE.
   */
  async probe(url: string, opts: ProbeOptions = {}): Promise<ProbeResponse> {
    const address = parsePeerUrl(url);
    const client = new Client(address.target, this.#ctx.credentials, this.#ctx.channelOptions);
    const request = encodeProbeRequest({
      clusterId: this.#opts.clusterId,
      from: this.#opts.memberId,
      to: opts.expectMemberId ?? 0,
      name: this.#opts.name ?? "",
    });
    try {
      return await new Promise<ProbeResponse>((resolve, reject) => {
        client.makeUnaryRequest<Buffer, Buffer>(
          PROBE_PATH,
          identity,
          identity,
          request,
          new Metadata(),
          { deadline: Date.now() + (opts.timeoutMs ?? 5_000) },
          (err, value) => {
            if (err) return reject(fromServiceError(err));
            try {
              resolve(decodeProbeResponse(value ?? Buffer.alloc(0)));
            } catch (decodeErr) {
              reject(
                new TransportError("RAFTKV_MALFORMED_MESSAGE", `raftkv: bad probe answer from ${url}`, {
                  cause: decodeErr,
                }),
              );
            }
          },
        );
      });
    } finally {
      client.close();
    }
  }

  stats(): TransportStats {
    let sent = this.#sentOfRemovedPeers;
    let dropped = this.#dropped;
    let received = this.#received;
    const peers = new Map<NodeId, PeerStats & { state: PeerState; queued: number }>();
    for (const [id, link] of this.#peers) {
      sent += link.stats.sent;
      dropped += link.stats.dropped;
      received += link.stats.received;
      peers.set(id, { ...link.stats, state: link.state, queued: link.queuedMessages });
    }
    return { sent, dropped, received, rejected: this.#rejected, peers };
  }

  // ------------------------------------------------------------------------------ receiving

  /** Null when a stream or batch with these identities may be accepted; the reason otherwise. */
  #checkIdentity(clusterId: number, from: NodeId, to: NodeId): TransportError | null {
    const { clusterId: ours, memberId: me } = this.#opts;
    if (clusterId !== ours) {
      return new TransportError(
        "RAFTKV_WRONG_CLUSTER",
        `raftkv: message from cluster ${hexId(clusterId)} rejected (this is cluster ${hexId(ours)})`,
      );
    }
    if (to !== me) {
      return new TransportError(
        "RAFTKV_WRONG_MEMBER",
        `raftkv: message for member ${hexId(to)} rejected (this is member ${hexId(me)}; check the peer URLs)`,
      );
    }
    if (this.#removedMembers.has(from)) return removedError(from);
    if (!this.#peers.has(from)) {
      return new TransportError(
        "RAFTKV_UNKNOWN_MEMBER",
        `raftkv: message from unknown member ${hexId(from)} rejected (not a peer of member ${hexId(me)} in cluster ${hexId(ours)})`,
      );
    }
    return null;
  }

  /** Counts a rejection and logs it at warn once per offender per minute. */
  #reject(err: TransportError, from: NodeId, peer: string): TransportError {
    this.#rejected++;
    const link = this.#peers.get(from);
    if (link !== undefined) link.stats.rejected++;
    this.#warnOnce(
      `in:${err.code}:${from}`,
      { from: hexId(from), remote: peer, code: err.code },
      err.message,
    );
    return err;
  }

  #warnOnce(key: string, fields: object, msg: string): void {
    if (this.#warnLimiter.allow(key)) this.#logger.warn(fields, msg);
    else this.#logger.debug(fields, msg);
  }

  /** Checks a stream's metadata; null when it may proceed (the rejection has been answered). */
  #admitStream(
    call: ServerReadableStream<Buffer, Buffer>,
    callback: sendUnaryData<Buffer>,
  ): { clusterId: number; from: NodeId; to: NodeId } | null {
    const ids = readStreamMetadata(call.metadata);
    const refused =
      ids instanceof TransportError ? ids : this.#checkIdentity(ids.clusterId, ids.from, ids.to);
    if (refused === null) return ids as { clusterId: number; from: NodeId; to: NodeId };
    const from = ids instanceof TransportError ? 0 : ids.from;
    callback(this.#reject(refused, from, call.getPeer()).toStatus());
    return null;
  }

  #serveStream(call: ServerReadableStream<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    const ids = this.#admitStream(call, callback);
    if (ids === null) return;
    const remote = call.getPeer();
    // Response headers tell the sender its stream is accepted.
    call.sendMetadata(new Metadata());
    let finished = false;
    const streams = this.#inbound.get(ids.from) ?? new Set();
    this.#inbound.set(ids.from, streams);
    const finish = (err: TransportError | null) => {
      if (finished) return;
      finished = true;
      streams.delete(finish);
      if (err === null) callback(null, EMPTY_BUFFER);
      else callback(err.toStatus());
    };
    streams.add(finish);
    call.on("data", (buf: Buffer) => {
      if (finished) return;
      const err = this.#receiveBatch(buf, ids.from, remote);
      if (err !== null) finish(err);
    });
    call.on("end", () => finish(null));
    call.on("error", () => {
      finished = true;
      streams.delete(finish);
    });
  }

  /** Decodes, checks and delivers one Batch; returns the rejection if it is refused. */
  #receiveBatch(buf: Buffer, streamFrom: NodeId, remote: string): TransportError | null {
    let batch: ReturnType<typeof decodeBatch>;
    try {
      batch = decodeBatch(buf);
    } catch (err) {
      const reason = err instanceof WireError ? err.message : String(err);
      return this.#reject(
        new TransportError(
          "RAFTKV_MALFORMED_MESSAGE",
          `raftkv: malformed Batch from ${hexId(streamFrom)}: ${reason}`,
          {
            cause: err,
          },
        ),
        streamFrom,
        remote,
      );
    }
    const refused =
      this.#checkIdentity(batch.clusterId, batch.from, batch.to) ??
      (batch.from === streamFrom
        ? null
        : new TransportError(
            "RAFTKV_MALFORMED_MESSAGE",
            `raftkv: Batch from ${hexId(batch.from)} on the stream of member ${hexId(streamFrom)} rejected`,
          ));
    if (refused !== null) return this.#reject(refused, batch.from, remote);
    const messages = batch.messages as Message[];
    const link = this.#peers.get(batch.from);
    if (link !== undefined) link.stats.received += messages.length;
    if (messages.length === 0) return null;
    try {
      this.#opts.onMessages(messages);
    } catch (err) {
      // Input was valid, so this is a bug in the receiver (a broken invariant): crash, as the
      // house rules say, but outside grpc-js's call stack so that nothing there swallows it.
      this.#logger.error({ err }, "raftkv: onMessages threw");
      process.nextTick(() => {
        throw err;
      });
    }
    return null;
  }

  async #serveSnapshot(
    call: ServerReadableStream<Buffer, Buffer>,
    callback: sendUnaryData<Buffer>,
  ): Promise<void> {
    const ids = this.#admitStream(call, callback);
    if (ids === null) return;
    const remote = call.getPeer();
    call.on("error", () => {});
    const iterator = call[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let failure: TransportError | null = null;
    try {
      const first = await iterator.next();
      if (first.done) {
        throw new TransportError(
          "RAFTKV_SNAPSHOT_TRUNCATED",
          "raftkv: snapshot stream ended before its header",
        );
      }
      const chunk = decodeChunk(first.value, ids.from);
      const header = chunk.header;
      if (header === null) {
        throw new TransportError("RAFTKV_MALFORMED_MESSAGE", "raftkv: first snapshot chunk has no header");
      }
      const headerRefused =
        this.#checkIdentity(header.clusterId, header.from, header.to) ??
        (header.from === ids.from
          ? null
          : new TransportError("RAFTKV_MALFORMED_MESSAGE", "raftkv: snapshot header names another sender"));
      if (headerRefused !== null) throw headerRefused;
      this.#logger.info(
        { from: hexId(ids.from), index: header.message.snapshot?.meta.index },
        "raftkv: receiving snapshot",
      );
      await this.#opts.onSnapshot(header.message, snapshotData(chunk, iterator, ids.from));
      const link = this.#peers.get(ids.from);
      if (link !== undefined) link.stats.received++;
    } catch (err) {
      failure =
        err instanceof TransportError
          ? err
          : new TransportError(
              "RAFTKV_SNAPSHOT_FAILED",
              `raftkv: snapshot not stored: ${(err as Error)?.message ?? err}`,
              {
                cause: err,
              },
            );
      this.#reject(failure, ids.from, remote);
    }
    if (failure === null) callback(null, EMPTY_BUFFER);
    else callback(failure.toStatus());
  }

  #serveProbe(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    const { clusterId, memberId } = this.#opts;
    let request: ReturnType<typeof decodeProbeRequest>;
    try {
      request = decodeProbeRequest(call.request);
    } catch (err) {
      const e = new TransportError(
        "RAFTKV_MALFORMED_MESSAGE",
        `raftkv: malformed ProbeRequest: ${(err as Error).message}`,
      );
      callback(this.#reject(e, 0, call.getPeer()).toStatus());
      return;
    }
    let refused: TransportError | null = null;
    if (request.clusterId !== 0 && request.clusterId !== clusterId) {
      refused = new TransportError(
        "RAFTKV_WRONG_CLUSTER",
        `raftkv: probe from cluster ${hexId(request.clusterId)} rejected (this is cluster ${hexId(clusterId)})`,
      );
    } else if (request.to !== 0 && request.to !== memberId) {
      refused = new TransportError(
        "RAFTKV_WRONG_MEMBER",
        `raftkv: probe for member ${hexId(request.to)} reached member ${hexId(memberId)} (check the peer URLs)`,
      );
    }
    if (refused !== null) {
      callback(this.#reject(refused, request.from, call.getPeer()).toStatus());
      return;
    }
    callback(null, encodeProbeResponse({ clusterId, memberId, name: this.#opts.name ?? "" }));
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);

const RAFT_SERVICE: ServiceDefinition = {
  Stream: method(STREAM_PATH, "stream", true),
  InstallSnapshot: method(INSTALL_SNAPSHOT_PATH, "installSnapshot", true),
  Probe: method(PROBE_PATH, "probe", false),
};

function method(path: string, originalName: string, requestStream: boolean) {
  // Bytes in, bytes out: decoding happens in the handlers, where a failure gets a clear status
  // (a throwing deserializer makes grpc-js answer a bare INTERNAL).
  return {
    path,
    originalName,
    requestStream,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

function decodeChunk(buf: Buffer, from: NodeId) {
  try {
    return decodeSnapshotChunk(buf);
  } catch (err) {
    throw new TransportError(
      "RAFTKV_MALFORMED_MESSAGE",
      `raftkv: malformed SnapshotChunk from ${hexId(from)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The data of a snapshot stream, chunk by chunk as the consumer pulls (no read-ahead). */
async function* snapshotData(
  first: ReturnType<typeof decodeSnapshotChunk>,
  rest: AsyncIterator<Buffer>,
  from: NodeId,
): AsyncGenerator<Buffer> {
  let chunk = first;
  for (;;) {
    if (chunk.data.length > 0) yield Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.length);
    if (chunk.last) return;
    let next: IteratorResult<Buffer>;
    try {
      next = await rest.next();
    } catch (err) {
      throw new TransportError(
        "RAFTKV_SNAPSHOT_TRUNCATED",
        `raftkv: snapshot stream from ${hexId(from)} broke`,
        {
          cause: err,
        },
      );
    }
    if (next.done) {
      throw new TransportError(
        "RAFTKV_SNAPSHOT_TRUNCATED",
        `raftkv: snapshot stream from ${hexId(from)} ended before its last chunk`,
      );
    }
    chunk = decodeChunk(next.value, from);
    if (chunk.header !== null) {
      throw new TransportError(
        "RAFTKV_MALFORMED_MESSAGE",
        "raftkv: snapshot header repeated after the first chunk",
      );
    }
  }
}

function readStreamMetadata(md: Metadata): { clusterId: number; from: NodeId; to: NodeId } | TransportError {
  const read = (key: string): number | null => {
    const values = md.get(key);
    const v = values.length === 1 ? values[0] : undefined;
    if (typeof v !== "string" || !/^[0-9]{1,16}$/.test(v)) return null;
    const n = Number(v);
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  };
  const clusterId = read(CLUSTER_ID_METADATA_KEY);
  const from = read(FROM_METADATA_KEY);
  const to = read(TO_METADATA_KEY);
  if (clusterId === null || from === null || to === null) {
    return new TransportError(
      "RAFTKV_MALFORMED_MESSAGE",
      `raftkv: peer stream without valid ${CLUSTER_ID_METADATA_KEY}/${FROM_METADATA_KEY}/${TO_METADATA_KEY} metadata`,
    );
  }
  return { clusterId, from, to };
}

function checkId(id: number, what: string): void {
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new TypeError(`raftkv: ${what} must be a positive safe integer, got ${id}`);
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`raftkv: ${what} must be a positive integer`);
  return value;
}

function channelOptions(tls: TransportTlsOptions | undefined): ChannelOptions {
  const options: ChannelOptions = {
    "grpc.max_send_message_length": MAX_RECEIVE_MESSAGE_BYTES,
    "grpc.max_receive_message_length": 1024 * 1024,
    // Our own back-off (PeerLink) decides when to retry; keep grpc-js's close to it.
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 1000,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.enable_retries": 0,
    // A connection per link: snapshot bytes never queue in front of heartbeats.
    "grpc.use_local_subchannel_pool": 1,
    "grpc.service_config_disable_resolution": 1,
    // A restarted pod may come back at another address: re-resolve its name soon.
    "grpc.dns_min_time_between_resolutions_ms": 1000,
  };
  if (tls?.serverNameOverride !== undefined)
    options["grpc.ssl_target_name_override"] = tls.serverNameOverride;
  return options;
}

function clientCredentials(tls: TransportTlsOptions | undefined): ChannelCredentials {
  return tls === undefined
    ? grpcCredentials.createInsecure()
    : grpcCredentials.createSsl(tls.ca, tls.key, tls.cert);
}

function serverCredentials(tls: TransportTlsOptions | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
}

function removedError(id: NodeId): TransportError {
  return new TransportError(
    "RAFTKV_MEMBER_REMOVED",
    `raftkv: member ${hexId(id)}: ${MEMBER_REMOVED_MESSAGE}`,
  );
}
