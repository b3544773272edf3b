import type { Message, NodeId } from "../raft/types.js";
import { type ProbeResponse } from "./codec.js";
import { type Logger } from "./log.js";
import { type PeerState, type PeerStats } from "./peer.js";
/** The largest gRPC message a peer server accepts (grpc.max_receive_message_length). */
export declare const MAX_RECEIVE_MESSAGE_BYTES: number;
export declare const DEFAULT_MAX_QUEUED_MESSAGES_PER_PEER = 4096;
export declare const DEFAULT_MAX_QUEUED_BYTES_PER_PEER: number;
export declare const DEFAULT_MAX_BATCH_BYTES: number;
export declare const DEFAULT_MAX_IN_FLIGHT_BYTES_PER_PEER: number;
export declare const SNAPSHOT_CHUNK_BYTES: number;
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
}
export interface TransportStats {
    readonly sent: number;
    readonly dropped: number;
    readonly received: number;
    /** Batches, streams, snapshots and probes rejected, from members or not, malformed or not. */
    readonly rejected: number;
    readonly peers: ReadonlyMap<NodeId, Readonly<PeerStats> & {
        readonly state: PeerState;
        readonly queued: number;
    }>;
}
export interface ProbeOptions {
    /** Fail unless the member answering has this ID (0: any). */
    readonly expectMemberId?: NodeId;
    readonly timeoutMs?: number;
}
export declare class GrpcTransport {
    #private;
    constructor(opts: GrpcTransportOptions);
    /** Starts the peer server. Resolves with the bound port (useful with port 0). */
    start(): Promise<{
        port: number;
    }>;
    /** Closes every stream and the server. Queued messages are dropped. Idempotent. */
    close(): Promise<void>;
    /** Adds or updates a peer ("http://host:port", "https://…", or "host:port"; DNS names too). */
    addPeer(id: NodeId, url: string): void;
    /** Removes a peer: its stream closes, queued messages drop, its messages are rejected. */
    removePeer(id: NodeId): void;
    /** Makes the peer map equal `peers` (this member, if present, is skipped). */
    setPeers(peers: ReadonlyMap<NodeId, string> | Readonly<Record<string, string>>): void;
    peerIds(): NodeId[];
    /**
     * Queues messages for their peers and flushes them at the end of this turn of the event loop.
     * Never blocks, never throws: a message to an unknown, unreachable or backed-up peer, or one
     * that cannot be encoded, is dropped and counted (Raft retries).
     */
    send(msgs: readonly Message[]): void;
    /**
     * Streams a snapshot to `msg.to`: `msg` (type snap, with the snapshot metadata; its data is not
     * sent) then the bytes of `source()`, in chunks, never more than a few MiB buffered.
     * Resolves true once the peer stored it, false on failure (unknown peer, broken stream,
     * refused, source error).
     */
    sendSnapshot(msg: Message, source: () => AsyncIterable<Uint8Array>): Promise<boolean>;
    /**
     * Asks the member at `url` who it is. Rejects with a TransportError: RAFTKV_WRONG_CLUSTER,
     * RAFTKV_WRONG_MEMBER (not `expectMemberId`), RAFTKV_PEER_UNAVAILABLE.
     */
    probe(url: string, opts?: ProbeOptions): Promise<ProbeResponse>;
    stats(): TransportStats;
}
