// The outbound side of one peer: a bounded queue of encoded messages, one long-lived Stream
// call carrying them in batches, reconnection with back-off, and snapshot uploads on a
// connection of their own. Nothing here waits on another peer.

import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type ClientWritableStream,
  Metadata,
} from "@grpc/grpc-js";
import type { Message, NodeId } from "../raft/types.js";
import { encodeBatchHeader, encodeSnapshotChunk } from "./codec.js";
import { fromServiceError, hexId } from "./errors.js";
import type { Logger, RateLimiter } from "./log.js";
import type { PeerAddress } from "./url.js";

export const STREAM_PATH = "/raftkv.raft.v1.Raft/Stream";
export const INSTALL_SNAPSHOT_PATH = "/raftkv.raft.v1.Raft/InstallSnapshot";
export const PROBE_PATH = "/raftkv.raft.v1.Raft/Probe";

/** Request metadata naming the stream's sender and recipient, checked when the stream opens. */
export const CLUSTER_ID_METADATA_KEY = "raftkv-cluster-id";
export const FROM_METADATA_KEY = "raftkv-from";
export const TO_METADATA_KEY = "raftkv-to";

export const identity = (b: Buffer): Buffer => b;

/**
 * connecting: a stream is being opened; messages queue (bounded).
 * active: the peer accepted the stream; messages flow.
 * backoff: the last stream failed; messages are dropped until the next attempt.
 * closed: the peer was removed or the transport closed.
 */
export type PeerState = "connecting" | "active" | "backoff" | "closed";

export interface PeerStats {
  /** Messages handed to the peer's stream. */
  sent: number;
  /** Messages to the peer that were dropped: queue full, peer unreachable, too large, stream broken. */
  dropped: number;
  /** Messages received from the peer and delivered. */
  received: number;
  /** Batches, streams and snapshots from the peer that were rejected. */
  rejected: number;
}

/** What the transport shares with each of its peer links. */
export interface LinkContext {
  readonly clusterId: number;
  readonly memberId: NodeId;
  readonly logger: Logger;
  readonly warnLimiter: RateLimiter;
  readonly credentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightBytes: number;
  readonly maxMessageBytes: number;
  readonly snapshotChunkBytes: number;
  /** Snapshot bytes written and not yet flushed; small: a snapshot is not latency-sensitive. */
  readonly snapshotInFlightBytes: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly random: () => number;
  readonly onUnreachable: (id: NodeId) => void;
  /** The peer refused this member as removed from the cluster. */
  readonly onRemoved: (reportedBy: NodeId) => void;
  readonly onStateChange: (id: NodeId, state: PeerState) => void;
}

/** One Stream call and the bytes written to it but not yet flushed to the socket. */
interface OpenStream {
  call: ClientWritableStream<Buffer>;
  inFlightBytes: number;
  acceptedAtMs: number;
}

export class PeerLink {
  readonly id: NodeId;
  readonly url: string;
  readonly address: PeerAddress;
  readonly stats: PeerStats = { sent: 0, dropped: 0, received: 0, rejected: 0 };
  readonly #ctx: LinkContext;
  readonly #client: Client;
  readonly #batchHeader: Buffer;
  #snapshotClient: Client | null = null;
  readonly #snapshotCalls = new Set<ClientWritableStream<Buffer>>();
  #state: PeerState = "connecting";
  #stream: OpenStream | null = null;
  #queue: Buffer[] = [];
  #queueBytes = 0;
  #backoffMs: number;
  #timer: NodeJS.Timeout | null = null;
  #flushScheduled = false;
  /** Streams that failed since the last one the peer accepted. */
  #failures = 0;

  constructor(ctx: LinkContext, id: NodeId, url: string, address: PeerAddress) {
    this.#ctx = ctx;
    this.id = id;
    this.url = url;
    this.address = address;
    this.#backoffMs = ctx.backoffInitialMs;
    this.#client = new Client(address.target, ctx.credentials, ctx.channelOptions);
    this.#batchHeader = encodeBatchHeader(ctx.clusterId, ctx.memberId, id);
    this.#open();
  }

  get state(): PeerState {
    return this.#state;
  }

  get queuedMessages(): number {
    return this.#queue.length;
  }

  /** Whether a message to this peer would be queued now (checked before encoding it). */
  accepting(): boolean {
    return (
      (this.#state === "active" || this.#state === "connecting") &&
      this.#queue.length < this.#ctx.maxQueuedMessages
    );
  }

  /** Queues one encoded message (a Batch `messages` field). Returns false when dropped. */
  enqueue(encoded: Buffer): boolean {
    const ctx = this.#ctx;
    if (encoded.length + this.#batchHeader.length > ctx.maxMessageBytes) {
      this.stats.dropped++;
      this.#warn(
        "too-large",
        { bytes: encoded.length, limit: ctx.maxMessageBytes },
        "message too large, dropped",
      );
      return false;
    }
    if (
      !this.accepting() ||
      (this.#queue.length > 0 && this.#queueBytes + encoded.length > ctx.maxQueuedBytes)
    ) {
      this.stats.dropped++;
      return false;
    }
    this.#queue.push(encoded);
    this.#queueBytes += encoded.length;
    return true;
  }

  /** Writes queued messages in batches while the in-flight window has room. */
  flush(): void {
    const s = this.#stream;
    if (this.#state !== "active" || s === null) return;
    const ctx = this.#ctx;
    while (this.#queue.length > 0 && s.inFlightBytes < ctx.maxInFlightBytes) {
      const queue = this.#queue;
      let bytes = this.#batchHeader.length;
      let count = 0;
      while (count < queue.length) {
        const next = queue[count]!.length;
        if (count > 0 && bytes + next > ctx.maxBatchBytes) break;
        bytes += next;
        count++;
      }
      const parts = count === queue.length ? queue : queue.slice(0, count);
      this.#queue = count === queue.length ? [] : queue.slice(count);
      this.#queueBytes -= bytes - this.#batchHeader.length;
      const batch = Buffer.concat([this.#batchHeader, ...parts], bytes);
      s.inFlightBytes += bytes;
      this.stats.sent += count;
      s.call.write(batch, () => {
        s.inFlightBytes -= bytes;
        if (this.#stream === s && this.#queue.length > 0) this.#scheduleFlush();
      });
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  #metadata(): Metadata {
    const md = new Metadata();
    md.set(CLUSTER_ID_METADATA_KEY, String(this.#ctx.clusterId));
    md.set(FROM_METADATA_KEY, String(this.#ctx.memberId));
    md.set(TO_METADATA_KEY, String(this.id));
    return md;
  }

  #open(): void {
    this.#timer = null;
    this.#setState("connecting");
    const stream: OpenStream = {
      call: null as unknown as ClientWritableStream<Buffer>,
      inFlightBytes: 0,
      acceptedAtMs: 0,
    };
    this.#stream = stream;
    stream.call = this.#client.makeClientStreamRequest<Buffer, Buffer>(
      STREAM_PATH,
      identity,
      identity,
      this.#metadata(),
      {},
      (err) => this.#onStreamEnd(stream, err),
    );
    // Errors arrive through the callback above; this listener keeps a late write from throwing.
    stream.call.on("error", () => {});
    // The peer sends its response headers when it accepts the stream (see raft.proto).
    stream.call.on("metadata", () => {
      if (this.#stream !== stream || this.#state !== "connecting") return;
      stream.acceptedAtMs = performance.now();
      if (this.#failures > 0) {
        const fields = { peer: hexId(this.id), url: this.url, failedAttempts: this.#failures };
        if (this.#ctx.warnLimiter.allow(`out:up:${this.id}`))
          this.#ctx.logger.info(fields, "raftkv: peer reachable again");
        this.#failures = 0;
      }
      this.#setState("active");
      this.flush();
    });
  }

  #onStreamEnd(stream: OpenStream, err: unknown): void {
    if (this.#stream !== stream) return;
    this.#stream = null;
    if (this.#state === "closed") return;
    this.stats.dropped += this.#queue.length;
    this.#queue = [];
    this.#queueBytes = 0;
    this.#failures++;
    const ctx = this.#ctx;
    // A stream that stayed up a while proves the peer healthy: start back-off afresh.
    const livedMs = stream.acceptedAtMs > 0 ? performance.now() - stream.acceptedAtMs : 0;
    this.#backoffMs = livedMs >= ctx.backoffMaxMs ? ctx.backoffInitialMs : this.#backoffMs;
    const delayMs = Math.round(this.#backoffMs * (0.8 + 0.4 * ctx.random()));
    this.#backoffMs = Math.min(ctx.backoffMaxMs, this.#backoffMs * 2);
    const failure = err === null || err === undefined ? null : fromServiceError(err);
    if (failure?.code === "RAFTKV_MEMBER_REMOVED") ctx.onRemoved(this.id);
    const details = failure === null ? "stream ended by the peer" : failure.message;
    this.#warn("stream", { error: details, retryInMs: delayMs }, "stream to peer broken");
    this.#setState("backoff");
    this.#timer = setTimeout(() => this.#open(), delayMs);
    ctx.onUnreachable(this.id);
  }

  #setState(state: PeerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#ctx.onStateChange(this.id, state);
  }

  #warn(kind: string, fields: object, msg: string): void {
    const ctx = this.#ctx;
    const entry = { peer: hexId(this.id), url: this.url, ...fields };
    if (ctx.warnLimiter.allow(`out:${kind}:${this.id}`)) ctx.logger.warn(entry, `raftkv: ${msg}`);
    else ctx.logger.debug(entry, `raftkv: ${msg}`);
  }

  /**
   * Streams a snapshot to the peer on the snapshot connection: a header chunk with `msg`, then
   * the source cut into chunks, with at most snapshotInFlightBytes written and not yet flushed.
   * Resolves true once the peer answered that it stored the snapshot; false on any failure.
   */
  async sendSnapshot(msg: Message, source: () => AsyncIterable<Uint8Array>): Promise<boolean> {
    if (this.#state === "closed") return false;
    const ctx = this.#ctx;
    this.#snapshotClient ??= new Client(this.address.target, ctx.credentials, ctx.channelOptions);
    let upload: SnapshotUpload | undefined;
    const finished = new Promise<unknown>((resolve) => {
      const call = this.#snapshotClient!.makeClientStreamRequest<Buffer, Buffer>(
        INSTALL_SNAPSHOT_PATH,
        identity,
        identity,
        this.#metadata(),
        {},
        (err) => {
          upload?.end();
          this.#snapshotCalls.delete(call);
          resolve(err ?? null);
        },
      );
      call.on("error", () => {});
      this.#snapshotCalls.add(call);
      upload = new SnapshotUpload(call, ctx.snapshotInFlightBytes);
    });
    try {
      await this.#pumpSnapshot(upload!, msg, source);
    } catch (err) {
      this.#warn("snapshot-source", { error: String(err) }, "snapshot source failed, upload cancelled");
      upload!.call.cancel();
    }
    const err = await finished;
    if (err !== null) {
      this.#warn("snapshot", { error: fromServiceError(err).message }, "snapshot upload failed");
      return false;
    }
    return true;
  }

  async #pumpSnapshot(upload: SnapshotUpload, msg: Message, source: () => AsyncIterable<Uint8Array>) {
    const ctx = this.#ctx;
    const header = { clusterId: ctx.clusterId, from: ctx.memberId, to: this.id, message: msg };
    if (!(await upload.write(encodeSnapshotChunk({ header, data: EMPTY, last: false })))) return;
    for await (const piece of source()) {
      for (let offset = 0; offset < piece.length; offset += ctx.snapshotChunkBytes) {
        const data = piece.subarray(offset, offset + ctx.snapshotChunkBytes);
        if (!(await upload.write(encodeSnapshotChunk({ header: null, data, last: false })))) return;
      }
    }
    if (await upload.write(encodeSnapshotChunk({ header: null, data: EMPTY, last: true }))) upload.call.end();
  }

  /** Ends the stream and any snapshot upload; drops what is queued. */
  close(): void {
    if (this.#state === "closed") return;
    this.#setState("closed");
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.stats.dropped += this.#queue.length;
    this.#queue = [];
    this.#queueBytes = 0;
    const s = this.#stream;
    this.#stream = null;
    s?.call.cancel();
    for (const call of this.#snapshotCalls) call.cancel();
    this.#snapshotCalls.clear();
    this.#client.close();
    this.#snapshotClient?.close();
  }
}

const EMPTY = new Uint8Array(0);

/** One InstallSnapshot call: writes wait while maxInFlightBytes are written but not flushed. */
class SnapshotUpload {
  readonly call: ClientWritableStream<Buffer>;
  readonly #maxInFlightBytes: number;
  #inFlightBytes = 0;
  #ended = false;
  #waiter: (() => void) | null = null;

  constructor(call: ClientWritableStream<Buffer>, maxInFlightBytes: number) {
    this.call = call;
    this.#maxInFlightBytes = maxInFlightBytes;
  }

  /** The call finished (status received): pending and later writes give up. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** Writes `chunk` once the window has room; false when the call has finished instead. */
  async write(chunk: Buffer): Promise<boolean> {
    while (this.#inFlightBytes >= this.#maxInFlightBytes && !this.#ended) {
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    if (this.#ended) return false;
    this.#inFlightBytes += chunk.length;
    this.call.write(chunk, () => {
      this.#inFlightBytes -= chunk.length;
      this.#wake();
    });
    return true;
  }
}
