// Core data types of the Raft state machine. Pure data: no I/O, no clocks.
//
// Conventions:
// - Node IDs, terms and indexes are non-negative integers below 2^53 (JS safe integers).
// - Index 0 / term 0 mean "none". The first real log entry has index 1.
// - Ranges are half-open: [lo, hi).

export type NodeId = number;

/** "none": the zero node ID, used for "no leader" and "no vote". */
export const NONE: NodeId = 0;

export type EntryType = "normal" | "confChange";

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque to the core for "normal"; an encoded ConfChange for "confChange". Empty for the leader's no-op. */
  readonly data: Uint8Array;
}

/** What must be durable for a node to be safe after a crash (Raft paper Figure 2, "persistent state"). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

/** The membership configuration. Learners receive the log but do not vote and do not count for quorum. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  /** Index and term of the last entry the snapshot covers. */
  readonly index: number;
  readonly term: number;
  /** The configuration as of `index`. */
  readonly confState: ConfState;
}

/**
 * A point-in-time image of the state machine. The core never looks inside `data`.
 * The node layer may stream a large snapshot out of band and leave `data` empty here.
 */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export type ConfChangeType = "addVoter" | "addLearner" | "removeNode";

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to the core; the application stores member metadata (name, URLs) here. */
  readonly context: Uint8Array;
}

export type MessageType =
  /** Local only: a follower or candidate's election timer fired. Never sent. */
  | "hup"
  /** Local only: the leader's heartbeat timer fired. Never sent. */
  | "beat"
  /** A proposal forwarded by a follower to the leader. */
  | "prop"
  | "app"
  | "appResp"
  | "vote"
  | "voteResp"
  | "preVote"
  | "preVoteResp"
  | "heartbeat"
  | "heartbeatResp"
  | "snap"
  /** Local only: the node layer reports that sending a snapshot to `from` finished (reject = failed). */
  | "snapStatus"
  /** Local only: the node layer reports that `from` is unreachable. */
  | "unreachable"
  /** The leader tells the transfer target to campaign immediately (thesis 3.10). */
  | "timeoutNow"
  /** A follower asks the leader for a read index (thesis 6.4). */
  | "readIndex"
  | "readIndexResp"
  /** A follower asks the leader to transfer leadership (`from` of the inner request is the target). */
  | "transferLeader";

export interface Message {
  readonly type: MessageType;
  /** Set by the core on every outgoing message; a message with another cluster's ID is dropped. */
  readonly clusterId: number;
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; 0 for local messages and forwarded proposals. */
  readonly term: number;
  /** app: term of the entry at `index` (the entry before `entries`). vote/preVote: last log term.
   *  appResp (reject): the term of the follower's entry at `rejectHint`, for fast back-off. */
  readonly logTerm: number;
  /** app: index of the entry before `entries`. vote/preVote: last log index.
   *  appResp: the highest index known to match (accept), or the rejected `index` (reject).
   *  readIndexResp: the read index. snapStatus/transferLeader: unused. */
  readonly index: number;
  readonly entries: readonly Entry[];
  /** The leader's commit index (app, heartbeat). */
  readonly commit: number;
  readonly snapshot: Snapshot | null;
  readonly reject: boolean;
  /** appResp (reject): the follower's hint of where the logs may match (its last index, or lower). */
  readonly rejectHint: number;
  /** heartbeat/heartbeatResp/readIndex/readIndexResp: the ReadIndex request context. */
  readonly context: Uint8Array;
}

/** A linearizable read may be served once the state machine has applied up to `index`. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Per-follower replication state as seen by the leader (etcd-io/raft tracker.Progress). */
export type ProgressState = "probe" | "replicate" | "snapshot";

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly learner: boolean;
  readonly recentActive: boolean;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leaderId: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  /** Present only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | null;
  readonly leadTransferee: NodeId;
  /** Messages dropped because they came from another cluster or from a non-member. */
  readonly rejectedForeign: number;
}

/**
 * The output of the core, with obligations for the driver. Taking a Ready (`Raft.ready()`) hands
 * its writes over: the next Ready holds only what changed since, so a driver may take the next
 * one while this one's write is in flight (asynchronous storage writes, as etcd-io/raft's).
 * 1. Send `messagesNoWait` now.
 * 2. Persist `snapshot` (if any), then `entries` and `hardState` (if any) to stable storage,
 *    after every write of earlier Readies (writes complete in order). Entries, a snapshot or a
 *    changed term or vote need fsync; a hard state whose commit index alone changed does not.
 * 3. Send `messages` only once this write AND every earlier one are durable.
 * 4. Report each completed write with `Raft.persisted({ snapshot, entries })`, in order, after
 *    adding it to the Storage the core reads.
 * 5. Apply `committed` entries in order (they are already durable here); serve `readStates` once
 *    the state machine has applied their index. Call `acceptReady(ready)` once the committed
 *    entries are taken over (membership changes take effect in the core).
 * A synchronous driver does 2, 3, 5 in turn and calls `advance(ready)` (= persisted + acceptReady).
 */
export interface Ready {
  /** Changed hard state to persist, or null when unchanged. */
  readonly hardState: HardState | null;
  /** Entries to append to stable storage. An entry at an index already stored replaces it and
   *  everything after it. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader to persist and install, or null. */
  readonly snapshot: Snapshot | null;
  /**
   * Messages that may be sent right away, before the persist of this Ready finishes:
   * the leader's appends and heartbeats (Raft thesis 10.2.1). Nothing here acknowledges
   * state of this node that is not yet durable.
   */
  readonly messagesNoWait: readonly Message[];
  /** Messages that must be sent only AFTER this Ready's hardState/entries/snapshot, and those of
   *  every earlier Ready, are durable (vote grants, append acknowledgements, ...). */
  readonly messages: readonly Message[];
  /** Entries known committed and durable on this node, to apply in order. */
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** The soft state at the time of this Ready (for observers). */
  readonly role: Role;
  readonly leaderId: NodeId;
  readonly term: number;
}
