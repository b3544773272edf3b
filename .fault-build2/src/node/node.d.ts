import type { ApiBackend, Member, NodeStatus, ProposalKind } from "../api/backend.js";
import type { KvStateMachine } from "../kv/index.js";
import { type MemoryStorage, type Message, type NodeId, Raft, type Role } from "../raft/index.js";
import type { DataDir } from "../storage/index.js";
import type { GrpcTransport } from "../transport/index.js";
import type { Logger } from "./logger.js";
import type { MemberTable } from "./members.js";
import { type MemberAddInput, type MemberAddResult } from "./membership.js";
export interface NodeTimings {
    /** Milliseconds per Raft tick. */
    readonly tickMs: number;
    readonly electionTicks: number;
    readonly heartbeatTicks: number;
    /** A client call that is not answered within this fails with "request timed out". */
    readonly requestTimeoutMs: number;
}
export interface NodeLimits {
    /** Proposals waiting for their result; past it, RESOURCE_EXHAUSTED. */
    readonly maxPendingProposals: number;
    /** Take a snapshot (and compact the log) every this many applied entries. */
    readonly snapshotEntries: number;
    /** Entries kept behind a snapshot so slow followers catch up from the log. */
    readonly snapshotCatchUpEntries: number;
}
export interface NodeOptions {
    readonly name: string;
    readonly memberId: number;
    readonly clusterId: number;
    readonly dataDir: DataDir;
    readonly storage: MemoryStorage;
    readonly kv: KvStateMachine;
    readonly transport: GrpcTransport;
    readonly members: MemberTable;
    readonly timings: NodeTimings;
    readonly limits: NodeLimits;
    readonly logger: Logger;
    readonly version: string;
    readonly random?: () => number;
    /**
     * This member's advertised client URLs: published through Raft once a leader is known, so that
     * every member lists them (etcd's "publish"). Not given: nothing is published.
     */
    readonly clientURLs?: readonly string[];
}
export declare class RaftKvNode implements ApiBackend {
    #private;
    readonly clusterId: number;
    readonly memberId: number;
    readonly name: string;
    readonly raft: Raft;
    readonly kv: KvStateMachine;
    constructor(opts: NodeOptions);
    start(): void;
    /** Graceful stop: hand leadership over, stop taking requests, finish those in flight. */
    stop(): Promise<void>;
    get fatalError(): Error | null;
    /** Called once if the node hits an error it cannot continue from (storage failure). */
    onFatal(fn: (err: Error) => void): void;
    onStateChange(fn: (s: {
        role: Role;
        term: number;
        leaderId: NodeId;
    }) => void): () => void;
    /** Messages from the transport. */
    receive(msgs: readonly Message[]): void;
    /** A snapshot streamed by the leader: stage it on disk, then hand the message to the core. */
    receiveSnapshot(msg: Message, chunks: AsyncIterable<Buffer>): Promise<void>;
    reportUnreachable(id: NodeId): void;
    raftTerm(): number;
    ready(): boolean;
    members(): Member[];
    status(): NodeStatus;
    propose(kind: ProposalKind | "memberAttributes", req: object, encoded?: Buffer): Promise<object>;
    readBarrier(): Promise<void>;
    moveLeader(target: number): Promise<void>;
    snapshot(): AsyncIterable<Buffer>;
    memberAdd(request: MemberAddInput): Promise<MemberAddResult>;
    memberRemove(id: number): Promise<Member[]>;
    memberPromote(id: number): Promise<Member[]>;
}
