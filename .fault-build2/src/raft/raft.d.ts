import { type Storage } from "./storage.js";
import { type ConfChange, type ConfState, type Message, type NodeId, type Ready, type Role, type Status } from "./types.js";
/** Test-only switches that plant known bugs, to prove the simulator finds them. */
export interface PlantedBugs {
    /** Commit an entry of a previous term by counting replicas (Raft paper Figure 8). */
    readonly commitPreviousTermByCount?: boolean;
    /** Grant a vote to every candidate, even twice in one term. */
    readonly doubleVote?: boolean;
    /** Answer ReadIndex at once with the local commit index, without a heartbeat round. */
    readonly readWithoutReadIndex?: boolean;
}
export interface RaftConfig {
    readonly id: NodeId;
    readonly clusterId: number;
    readonly storage: Storage;
    /** Uniform in [0, 1); the core's only source of randomness. */
    readonly random: () => number;
    /** Election timeout in ticks; the randomized timeout is in [electionTicks, 2 * electionTicks). */
    readonly electionTicks?: number;
    readonly heartbeatTicks?: number;
    readonly preVote?: boolean;
    readonly checkQuorum?: boolean;
    /** Unacknowledged appends per follower in replicate state. */
    readonly maxInflightMsgs?: number;
    /** Bytes of entries per append message. */
    readonly maxMsgBytes?: number;
    /** Bytes of proposed-but-uncommitted entries on the leader before proposals are refused. */
    readonly maxUncommittedBytes?: number;
    /** Bytes of committed entries handed out per Ready. */
    readonly maxApplyBytes?: number;
    /** Index the state machine has already applied (at restart). */
    readonly applied?: number;
    readonly plantedBugs?: PlantedBugs;
    readonly onStateChange?: (s: {
        role: Role;
        term: number;
        leaderId: NodeId;
    }) => void;
}
export declare class Raft {
    #private;
    readonly id: NodeId;
    readonly clusterId: number;
    constructor(cfg: RaftConfig);
    status(): Status;
    confState(): ConfState;
    get role(): Role;
    get term(): number;
    get leaderId(): NodeId;
    /** Advance logical time by one tick. */
    tick(): void;
    /** Start an election now (used to bootstrap a single node quickly and by tests). */
    campaign(): void;
    propose(data: Uint8Array): void;
    proposeConfChange(cc: ConfChange): void;
    readIndex(ctx: Uint8Array): void;
    transferLeader(target: NodeId): void;
    reportSnapshot(id: NodeId, ok: boolean): void;
    reportUnreachable(id: NodeId): void;
    /**
     * The application has a snapshot of its state at `index` (its applied index). Record it in
     * storage and compact the log behind it, keeping `retainEntries` entries for slow followers.
     */
    compact(index: number, data: Uint8Array, retainEntries?: number): void;
    /**
     * A message from a peer. Never throws: messages from another cluster, for another node, from
     * a non-member or of a local-only type are counted and dropped.
     */
    step(m: Message): void;
    hasReady(): boolean;
    ready(): Ready;
    /** The driver has persisted `rd` and applied its committed entries. */
    advance(rd: Ready): void;
}
