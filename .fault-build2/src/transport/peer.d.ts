import { type ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import type { Message, NodeId } from "../raft/types.js";
import type { Logger, RateLimiter } from "./log.js";
import type { PeerAddress } from "./url.js";
export declare const STREAM_PATH = "/raftkv.raft.v1.Raft/Stream";
export declare const INSTALL_SNAPSHOT_PATH = "/raftkv.raft.v1.Raft/InstallSnapshot";
export declare const PROBE_PATH = "/raftkv.raft.v1.Raft/Probe";
/** Request metadata naming the stream's sender and recipient, checked when the stream opens. */
export declare const CLUSTER_ID_METADATA_KEY = "raftkv-cluster-id";
export declare const FROM_METADATA_KEY = "raftkv-from";
export declare const TO_METADATA_KEY = "raftkv-to";
export declare const identity: (b: Buffer) => Buffer;
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
    readonly onStateChange: (id: NodeId, state: PeerState) => void;
}
export declare class PeerLink {
    #private;
    readonly id: NodeId;
    readonly url: string;
    readonly address: PeerAddress;
    readonly stats: PeerStats;
    constructor(ctx: LinkContext, id: NodeId, url: string, address: PeerAddress);
    get state(): PeerState;
    get queuedMessages(): number;
    /** Whether a message to this peer would be queued now (checked before encoding it). */
    accepting(): boolean;
    /** Queues one encoded message (a Batch `messages` field). Returns false when dropped. */
    enqueue(encoded: Buffer): boolean;
    /** Writes queued messages in batches while the in-flight window has room. */
    flush(): void;
    /**
     * Streams a snapshot to the peer on the snapshot connection: a header chunk with `msg`, then
     * the source cut into chunks, with at most snapshotInFlightBytes written and not yet flushed.
     * Resolves true once the peer answered that it stored the snapshot; false on any failure.
     */
    sendSnapshot(msg: Message, source: () => AsyncIterable<Uint8Array>): Promise<boolean>;
    /** Ends the stream and any snapshot upload; drops what is queued. */
    close(): void;
}
