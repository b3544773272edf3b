// CORE-READY: the core is complete enough for the simulator to drive it.
// The Raft consensus core: a deterministic state machine driven by tick(), step() and the
// propose/readIndex/transfer/confChange calls, and read through ready()/advance().
// No I/O, no timers, no clock; randomness comes from the injected `random`.
//
// Shaped after etcd-io/raft (raft.go): one step entry point, role-specific step functions,
// timer events as local messages. References are to the Raft paper (Ongaro & Ousterhout) and
// Ongaro's thesis ("Consensus: Bridging Theory and Practice").

import { decodeConfChange, encodeConfChange } from "./confchange.js";
import { assert, RaftError } from "./errors.js";
import { idHex } from "./id-format.js";
import { RaftLog } from "./log.js";
import { Progress } from "./progress.js";
import { majorityCommitIndexOf, voteResult } from "./quorum.js";
import { entryBytes, type Storage } from "./storage.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  NONE,
  type NodeId,
  type ProgressStatus,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type Status,
} from "./types.js";

/** Test-only switches that plant known bugs, to prove the simulator finds them. */
export interface PlantedBugs {
  /** Commit an entry of a previous term by counting replicas (Raft paper Figure 8). */
  readonly commitPreviousTermByCount?: boolean;
  /** Grant a vote to every candidate, even twice in one term. */
  readonly doubleVote?: boolean;
  /** Answer ReadIndex at once with the local commit index, without a heartbeat round. */
  readonly readWithoutReadIndex?: boolean;
  /**
   * ReadIndex as before commit 36a8eec: heartbeats echo the read's own context and a quorum of
   * answers for one context releases every read queued up to it, so a late answer to a
   * re-issued context's first heartbeat releases newer reads (a stale read).
   */
  readonly readAckByContext?: boolean;
  /** The leader counts its own log toward a commit before its write is durable. */
  readonly leaderCountsUndurable?: boolean;
  /** A follower acknowledges appended entries before its write is durable. */
  readonly ackBeforeDurable?: boolean;
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
  readonly onStateChange?: (s: { role: Role; term: number; leaderId: NodeId }) => void;
}

/** Vote requests sent by a leadership transfer carry this context: they bypass leases. */
const TRANSFER_CONTEXT = Uint8Array.of(1);
const EMPTY = new Uint8Array(0);

/** Messages only a leader sends; they may leave before the leader's own write is durable. */
const NO_WAIT_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  "app",
  "heartbeat",
  "snap",
  "timeoutNow",
  "readIndexResp",
  "prop",
  "readIndex",
  "transferLeader",
]);

interface PendingRead {
  readonly index: number;
  readonly ctx: Uint8Array;
  readonly key: string;
  /** Who asked: this node, or a follower that forwarded it. */
  readonly from: NodeId;
  /** The heartbeat round sent for it: only answers to this round or a later one confirm it. */
  readonly round: number;
  /** Planted bug `readAckByContext` only: who answered a heartbeat carrying this read's context. */
  readonly acks?: Set<NodeId>;
}

function ctxKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString("latin1");
}

/** A heartbeat's context names its read round (8 bytes, big-endian); followers echo it. */
function roundContext(round: number): Uint8Array {
  const ctx = new Uint8Array(8);
  new DataView(ctx.buffer).setBigUint64(0, BigInt(round));
  return ctx;
}

function decodeRound(ctx: Uint8Array): number {
  if (ctx.byteLength !== 8) return 0;
  return Number(new DataView(ctx.buffer, ctx.byteOffset, 8).getBigUint64(0));
}

export class Raft {
  readonly id: NodeId;
  readonly clusterId: number;
  readonly #log: RaftLog;
  readonly #random: () => number;
  readonly #electionTicks: number;
  readonly #heartbeatTicks: number;
  readonly #preVote: boolean;
  readonly #checkQuorum: boolean;
  readonly #maxInflight: number;
  readonly #maxMsgBytes: number;
  readonly #maxUncommittedBytes: number;
  readonly #maxApplyBytes: number;
  readonly #bugs: PlantedBugs;
  readonly #onStateChange: RaftConfig["onStateChange"];

  #term = 0;
  #vote: NodeId = NONE;
  #role: Role = "follower";
  #lead: NodeId = NONE;
  #voters: NodeId[] = [];
  #learners: NodeId[] = [];
  /** Leader only: progress of every member, self included. */
  #progress = new Map<NodeId, Progress>();
  #votes = new Map<NodeId, boolean>();
  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedElectionTimeout = 0;
  #leadTransferee: NodeId = NONE;
  /** Index of the last conf change proposed by this leader; the next waits until it is applied. */
  #pendingConfIndex = 0;
  #uncommittedBytes = 0;
  /** Reads awaiting confirmation, in arrival order (so in round order). */
  #pendingReads: PendingRead[] = [];
  /** The last heartbeat round sent for reads. Never reset: rounds of one process never repeat. */
  #readRound = 0;
  /** Per voter, the latest read round it answered in this leader's term. */
  #ackedRounds = new Map<NodeId, number>();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  #readsBeforeCommit: Message[] = [];
  #readStates: ReadState[] = [];
  #msgsNoWait: Message[] = [];
  #msgs: Message[] = [];
  /**
   * A leader's appends to every follower are due (new entries, or a new commit index): they are
   * made when the driver next asks for a Ready, so the proposals and acknowledgements of one turn
   * of the driver's loop travel as one append per follower, not one per proposal and per commit.
   * Set only while leading; every change of role goes through #reset, which clears it.
   */
  #bcastDue = false;
  #prevHardState: HardState;
  #prevRole: Role = "follower";
  #prevLead: NodeId = NONE;
  #prevTerm = 0;
  #rejectedForeign = 0;

  constructor(cfg: RaftConfig) {
    assert(cfg.id !== NONE, "node id must not be 0");
    this.id = cfg.id;
    this.clusterId = cfg.clusterId;
    this.#random = cfg.random;
    this.#electionTicks = cfg.electionTicks ?? 10;
    this.#heartbeatTicks = cfg.heartbeatTicks ?? 1;
    assert(this.#heartbeatTicks < this.#electionTicks, "heartbeat must be shorter than election timeout");
    this.#preVote = cfg.preVote ?? true;
    this.#checkQuorum = cfg.checkQuorum ?? true;
    this.#maxInflight = cfg.maxInflightMsgs ?? 256;
    this.#maxMsgBytes = cfg.maxMsgBytes ?? 1024 * 1024;
    this.#maxUncommittedBytes = cfg.maxUncommittedBytes ?? 64 * 1024 * 1024;
    this.#maxApplyBytes = cfg.maxApplyBytes ?? 64 * 1024 * 1024;
    this.#bugs = cfg.plantedBugs ?? {};
    this.#onStateChange = cfg.onStateChange;

    const { hardState, confState } = cfg.storage.initialState();
    this.#log = new RaftLog(cfg.storage, cfg.applied ?? 0);
    this.#term = hardState.term;
    this.#vote = hardState.vote;
    this.#prevHardState = { term: hardState.term, vote: hardState.vote, commit: this.#log.committed };
    this.#setConf(confState);
    this.#replayAppliedConfChanges(cfg.storage);
    this.#becomeFollower(this.#term, NONE);
    this.#prevTerm = this.#term;
  }

  // ---------------------------------------------------------------- observable state

  status(): Status {
    let progress: Map<NodeId, ProgressStatus> | null = null;
    if (this.#role === "leader") {
      progress = new Map();
      for (const [id, pr] of this.#progress) progress.set(id, pr.status());
    }
    return {
      id: this.id,
      role: this.#role,
      term: this.#term,
      vote: this.#vote,
      leaderId: this.#lead,
      commitIndex: this.#log.committed,
      appliedIndex: this.#log.applied,
      lastIndex: this.#log.lastIndex(),
      confState: this.confState(),
      progress,
      leadTransferee: this.#leadTransferee,
      rejectedForeign: this.#rejectedForeign,
    };
  }

  confState(): ConfState {
    return { voters: [...this.#voters], learners: [...this.#learners] };
  }

  get role(): Role {
    return this.#role;
  }

  get term(): number {
    return this.#term;
  }

  get leaderId(): NodeId {
    return this.#lead;
  }

  /** Index of the last entry in the log (durable or not). */
  get lastIndex(): number {
    return this.#log.lastIndex();
  }

  // ---------------------------------------------------------------- inputs

  /** Advance logical time by one tick. */
  tick(): void {
    if (this.#role === "leader") this.#tickHeartbeat();
    else this.#tickElection();
  }

  /** Start an election now (used to bootstrap a single node quickly and by tests). */
  campaign(): void {
    this.#stepInternal(this.#local("hup"));
  }

  propose(data: Uint8Array): void {
    this.#proposeEntries([{ term: 0, index: 0, type: "normal", data }]);
  }

  proposeConfChange(cc: ConfChange): void {
    if (this.#role !== "leader") {
      throw new RaftError("RAFTKV_NOT_LEADER", "membership changes must be proposed on the leader");
    }
    if (this.#pendingConfIndex > this.#log.applied) {
      throw new RaftError(
        "RAFTKV_CONF_CHANGE_PENDING",
        `a membership change (index ${this.#pendingConfIndex}) is still being applied`,
      );
    }
    this.#validateConfChange(cc);
    this.#proposeEntries([{ term: 0, index: 0, type: "confChange", data: encodeConfChange(cc) }]);
  }

  readIndex(ctx: Uint8Array): void {
    this.#stepInternal({ ...this.#local("readIndex"), context: ctx });
  }

  transferLeader(target: NodeId): void {
    this.#stepInternal({ ...this.#local("transferLeader"), index: target });
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.#stepInternal({ ...this.#local("snapStatus"), from: id, reject: !ok });
  }

  reportUnreachable(id: NodeId): void {
    this.#stepInternal({ ...this.#local("unreachable"), from: id });
  }

  /**
   * The application has a snapshot of its state at `index` (its applied index). Record it in
   * storage and compact the log behind it, keeping `retainEntries` entries for slow followers.
   */
  compact(index: number, data: Uint8Array, retainEntries = 0): void {
    assert(index <= this.#log.applied, `snapshot ${index} beyond applied ${this.#log.applied}`);
    const storage = this.#log.storage as Storage & {
      createSnapshot?: (i: number, cs: ConfState, d: Uint8Array) => Snapshot;
      compact?: (i: number) => void;
    };
    assert(storage.createSnapshot && storage.compact, "storage cannot take snapshots");
    assert(index === this.#log.applied, "snapshots are taken at the applied index");
    if (index <= storage.snapshot().meta.index) return;
    storage.createSnapshot(index, this.confState(), data);
    const keepFrom = Math.max(index - retainEntries, storage.firstIndex() - 1);
    storage.compact(Math.min(keepFrom, index));
  }

  /**
   * A message from a peer. Never throws: messages from another cluster, for another node, from
   * a non-member or of a local-only type are counted and dropped.
   */
  step(m: Message): void {
    if (
      this.#isLocalType(m.type) ||
      m.clusterId !== this.clusterId ||
      m.to !== this.id ||
      !this.#acceptFrom(m)
    ) {
      this.#rejectedForeign++;
      return;
    }
    this.#stepInternal(m);
  }

  #stepInternal(m: Message): void {
    if (m.term === 0) {
      // local message or forwarded proposal/read
    } else if (m.term > this.#term) {
      if (!this.#stepHigherTerm(m)) return;
    } else if (m.term < this.#term) {
      this.#stepLowerTerm(m);
      return;
    }
    try {
      this.#stepByType(m);
    } catch (err) {
      // A peer's forwarded proposal or read that cannot be served is dropped (the peer times
      // out and retries); only local calls see the typed error.
      if (m.from !== NONE && err instanceof RaftError) return;
      throw err;
    }
  }

  // ---------------------------------------------------------------- output

  hasReady(): boolean {
    return (
      this.#bcastDue ||
      this.#msgs.length > 0 ||
      this.#msgsNoWait.length > 0 ||
      this.#log.hasEntriesToPersist() ||
      (this.#log.unstableSnapshot !== null && !this.#log.snapshotInProgress) ||
      this.#log.hasNextCommitted() ||
      this.#readStates.length > 0 ||
      !this.#sameHardState(this.#hardState(), this.#prevHardState)
    );
  }

  /**
   * Take what the driver must do now (see `Ready`). Taking it hands the entries, snapshot and
   * hard state over to be persisted: the next Ready holds only what changed since, so the
   * driver may take it while this one's write is in flight (etcd-io/raft's asynchronous storage
   * writes). The driver reports each completed write with `persisted()`, in order, and hands
   * the Ready back with `advance()` once it has taken over its committed entries.
   */
  ready(): Ready {
    if (this.#bcastDue) {
      this.#bcastDue = false;
      this.#bcastAppend();
    }
    const hs = this.#hardState();
    const snapshot = this.#log.snapshotInProgress ? null : this.#log.unstableSnapshot;
    const rd: Ready = {
      hardState: this.#sameHardState(hs, this.#prevHardState) ? null : hs,
      entries: this.#log.entriesToPersist(),
      snapshot,
      messagesNoWait: this.#msgsNoWait,
      messages: this.#msgs,
      committed: this.#log.nextCommitted(this.#maxApplyBytes),
      readStates: this.#readStates,
      role: this.#role,
      leaderId: this.#lead,
      term: this.#term,
    };
    if (rd.hardState !== null) this.#prevHardState = rd.hardState;
    this.#log.markInProgress();
    this.#msgsNoWait = [];
    this.#msgs = [];
    this.#readStates = [];
    if (rd.committed.length > 0) this.#log.appliedTo(rd.committed[rd.committed.length - 1]!.index);
    return rd;
  }

  /**
   * Synchronous driving: `rd` is durable and its committed entries are applied (or handed to
   * the state machine in order). Same as `persisted(rd)` then `acceptReady(rd)`.
   */
  advance(rd: Ready): void {
    this.persisted(rd);
    this.acceptReady(rd);
  }

  /**
   * The driver has taken over `rd`'s committed entries (it applies them in order). Membership
   * changes among them take effect in the core now.
   */
  acceptReady(rd: Ready): void {
    for (const e of rd.committed) {
      if (e.type === "confChange") this.#applyConfChange(e);
      if (this.#role === "leader" && e.data.byteLength > 0) {
        this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes - entryBytes(e));
      }
    }
  }

  /**
   * A write handed out by ready() is durable: its snapshot and entries (several Readies' writes
   * may be reported as one, in order). The caller has already added them to the Storage the core
   * reads. The leader counts its own vote toward a commit only now.
   */
  persisted(write: { readonly snapshot: Snapshot | null; readonly entries: readonly Entry[] }): void {
    this.#log.stableTo(write.snapshot, write.entries);
    if (write.snapshot !== null && write.snapshot.meta.index > this.#log.applied) {
      this.#log.appliedTo(write.snapshot.meta.index);
    }
    if (this.#role === "leader") this.#leaderSelfAck();
  }

  #leaderSelfAck(): void {
    const self = this.#progress.get(this.id);
    const stable =
      this.#bugs.leaderCountsUndurable === true ? this.#log.lastIndex() : this.#log.stableLastIndex();
    if (self !== undefined && stable > 0 && this.#log.termOrZero(stable) === this.#term) {
      if (self.maybeUpdate(stable) && this.#maybeCommit()) this.#bcastDue = true;
    }
  }

  // ---------------------------------------------------------------- step helpers

  #isLocalType(t: MessageType): boolean {
    return t === "hup" || t === "beat" || t === "snapStatus" || t === "unreachable";
  }

  /**
   * Messages from non-members are dropped, except those only a leader sends (a member that
   * lags in applying a membership change must still follow a leader it does not know yet) and
   * vote requests (see below).
   */
  #acceptFrom(m: Message): boolean {
    if (m.from === NONE || m.from === this.id) return false;
    if (this.#voters.includes(m.from) || this.#learners.includes(m.from)) return true;
    // Fix (found by the simulator; without it seeds 395, 967 of test/sim fail): a node that
    // joined empty follows the leader before it has applied a configuration naming that leader.
    // It forwards reads to it, so it must accept the answer; dropping it left the read
    // unanswered forever.
    if (m.type === "readIndexResp" && m.from === this.#lead) return true;
    // Fix (found by the simulator; without it seeds 427, 1998 of test/sim fail): a voter may
    // not yet have applied the change that added a candidate (or, joining empty, know no
    // configuration at all). Dropping the candidate's vote requests then deadlocks elections
    // for good, e.g. voters {1, 4} where 4 joined empty: 4 ignored 1, so no leader could ever
    // bring 4 up to date. Vote requests are answered like any other; the up-to-date check keeps
    // them safe, and pre-vote / check-quorum keep a removed node from disrupting (as in
    // etcd-io/raft).
    if (m.type === "vote" || m.type === "preVote") return true;
    return m.type === "app" || m.type === "heartbeat" || m.type === "snap" || m.type === "timeoutNow";
  }

  #stepHigherTerm(m: Message): boolean {
    if (m.type === "vote" || m.type === "preVote") {
      const force = m.context.byteLength === 1 && m.context[0] === TRANSFER_CONTEXT[0];
      const inLease = this.#checkQuorum && this.#lead !== NONE && this.#electionElapsed < this.#electionTicks;
      // Thesis 4.2.3: a node that hears from a live leader ignores vote requests.
      if (!force && inLease) return false;
    }
    if (m.type === "preVote") {
      // Pre-votes never change our term.
    } else if (m.type === "preVoteResp" && !m.reject) {
      // A granted pre-vote carries the future term; the election will raise our term.
    } else if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
      this.#becomeFollower(m.term, m.from);
    } else {
      this.#becomeFollower(m.term, NONE);
    }
    return true;
  }

  #stepLowerTerm(m: Message): void {
    if ((this.#checkQuorum || this.#preVote) && (m.type === "heartbeat" || m.type === "app")) {
      // A stale leader (e.g. after a partition healed) learns of the new term and steps down;
      // without this, pre-vote would let it keep disrupting nothing but also never recover.
      this.#send({ type: "appResp", to: m.from });
    } else if (m.type === "preVote") {
      this.#send({ type: "preVoteResp", to: m.from, reject: true });
    } else if (m.type === "vote") {
      // Raft paper, Figure 2: a stale RequestVote is answered with the current term (etcd-io/raft
      // ignores it). Fix (found by the simulator, seed 13637 with pre-vote off): a voter far behind
      // campaigned only to the members of its old configuration and raised its term past the
      // real candidate's, whose requests it then ignored; the candidate never learned the term
      // and needed that voter's vote, so no leader was ever elected.
      this.#send({ type: "voteResp", to: m.from, reject: true });
    }
    // Everything else from an old term is ignored.
  }

  #stepByType(m: Message): void {
    switch (m.type) {
      case "hup":
        this.#hup(false);
        return;
      case "vote":
      case "preVote":
        this.#handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.#role) {
      case "leader":
        this.#stepLeader(m);
        return;
      case "candidate":
      case "preCandidate":
        this.#stepCandidate(m);
        return;
      case "follower":
        this.#stepFollower(m);
        return;
    }
  }

  #handleVoteRequest(m: Message): void {
    const preVote = m.type === "preVote";
    const canVote =
      this.#vote === m.from ||
      (this.#vote === NONE && this.#lead === NONE) ||
      (preVote && m.term > this.#term) ||
      (!preVote && this.#bugs.doubleVote === true);
    const respType = preVote ? "preVoteResp" : "voteResp";
    if (canVote && this.#log.isUpToDate(m.index, m.logTerm)) {
      // Answer a pre-vote with the term it asks for, so the pre-candidate counts it.
      this.#send({ type: respType, to: m.from, term: m.term });
      if (!preVote) {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.#send({ type: respType, to: m.from, term: this.#term, reject: true });
    }
  }

  // ---------------------------------------------------------------- roles

  #reset(term: number): void {
    if (this.#term !== term) {
      this.#term = term;
      this.#vote = NONE;
    }
    this.#lead = NONE;
    this.#bcastDue = false;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#resetRandomizedElectionTimeout();
    this.#leadTransferee = NONE;
    this.#votes = new Map();
    this.#pendingReads = [];
    this.#ackedRounds = new Map();
    this.#readsBeforeCommit = [];
    this.#uncommittedBytes = 0;
    this.#progress = new Map();
  }

  #becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.#role = "follower";
    this.#lead = lead;
    this.#notifyState();
  }

  #becomePreCandidate(): void {
    assert(this.#role !== "leader", "leader cannot become pre-candidate");
    // Pre-candidacy changes neither term nor vote (thesis 9.6).
    this.#votes = new Map();
    this.#role = "preCandidate";
    this.#lead = NONE;
    this.#notifyState();
  }

  #becomeCandidate(): void {
    assert(this.#role !== "leader", "leader cannot become candidate");
    this.#reset(this.#term + 1);
    this.#vote = this.id;
    this.#role = "candidate";
    this.#notifyState();
  }

  #becomeLeader(): void {
    assert(this.#role !== "follower", "follower cannot become leader directly");
    this.#reset(this.#term);
    this.#role = "leader";
    this.#lead = this.id;
    const last = this.#log.lastIndex();
    for (const id of [...this.#voters, ...this.#learners]) {
      const pr = new Progress(last + 1, this.#maxInflight, this.#learners.includes(id));
      if (id === this.id) {
        pr.match = this.#log.stableLastIndex();
        pr.becomeReplicate();
      }
      pr.recentActive = id === this.id;
      this.#progress.set(id, pr);
    }
    // An unapplied membership change may sit in the log: wait for it before proposing another.
    this.#pendingConfIndex = last;
    // Commit an entry of the new term at once (Raft paper 5.4.2, thesis 6.4 for reads).
    this.#appendEntries([{ term: 0, index: 0, type: "normal", data: EMPTY }]);
    this.#notifyState();
  }

  #notifyState(): void {
    if (this.#role === this.#prevRole && this.#lead === this.#prevLead && this.#term === this.#prevTerm)
      return;
    this.#prevRole = this.#role;
    this.#prevLead = this.#lead;
    this.#prevTerm = this.#term;
    this.#onStateChange?.({ role: this.#role, term: this.#term, leaderId: this.#lead });
  }

  #promotable(): boolean {
    return this.#voters.includes(this.id);
  }

  /** Committed-but-unapplied membership changes block campaigning (as etcd-io/raft does). */
  #hasUnappliedConfChange(): boolean {
    if (this.#log.committed <= this.#log.applied) return false;
    const lo = Math.max(this.#log.applied + 1, this.#log.firstIndex());
    for (let i = lo; i <= this.#log.committed; ) {
      const batch = this.#log.slice(i, this.#log.committed + 1, this.#maxMsgBytes);
      for (const e of batch) if (e.type === "confChange") return true;
      i += batch.length;
    }
    return false;
  }

  #hup(transfer: boolean): void {
    if (this.#role === "leader") return;
    if (!this.#promotable()) return;
    if (this.#hasUnappliedConfChange()) return;
    if (this.#preVote && !transfer) this.#campaign("preElection", false);
    else this.#campaign("election", transfer);
  }

  #campaign(kind: "preElection" | "election", transfer: boolean): void {
    let term: number;
    let type: MessageType;
    if (kind === "preElection") {
      this.#becomePreCandidate();
      term = this.#term + 1;
      type = "preVote";
    } else {
      this.#becomeCandidate();
      term = this.#term;
      type = "vote";
    }
    this.#votes.set(this.id, true);
    if (voteResult(this.#voters, this.#votes) === "won") {
      // Single voter: win at once.
      if (kind === "preElection") this.#campaign("election", transfer);
      else this.#becomeLeader();
      return;
    }
    const lastIndex = this.#log.lastIndex();
    const lastTerm = this.#log.lastTerm();
    for (const id of this.#voters) {
      if (id === this.id) continue;
      this.#send({
        type,
        to: id,
        term,
        index: lastIndex,
        logTerm: lastTerm,
        context: transfer ? TRANSFER_CONTEXT : EMPTY,
      });
    }
  }

  // ---------------------------------------------------------------- timers

  #resetRandomizedElectionTimeout(): void {
    this.#randomizedElectionTimeout = this.#electionTicks + Math.floor(this.#random() * this.#electionTicks);
  }

  #tickElection(): void {
    this.#electionElapsed++;
    if (this.#promotable() && this.#electionElapsed >= this.#randomizedElectionTimeout) {
      this.#electionElapsed = 0;
      this.#stepInternal(this.#local("hup"));
    }
  }

  #tickHeartbeat(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#electionTicks) {
      this.#electionElapsed = 0;
      if (this.#checkQuorum && !this.#quorumActive()) {
        // Thesis 6.2: a leader that cannot reach a quorum steps down.
        this.#becomeFollower(this.#term, NONE);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.#leadTransferee !== NONE) this.#leadTransferee = NONE;
    }
    if (this.#heartbeatElapsed >= this.#heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#stepInternal(this.#local("beat"));
    }
  }

  /** Whether a quorum was heard from since the last check; resets the marks. */
  #quorumActive(): boolean {
    let active = 0;
    for (const id of this.#voters) {
      const pr = this.#progress.get(id);
      if (pr === undefined) continue;
      if (id === this.id || pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= Math.floor(this.#voters.length / 2) + 1;
  }

  // ---------------------------------------------------------------- leader

  #stepLeader(m: Message): void {
    switch (m.type) {
      case "beat":
        if (this.#bugs.readAckByContext === true) {
          this.#bcastHeartbeat(this.#plantedLastPendingReadCtx());
          return;
        }
        // A periodic heartbeat re-asks the latest round (its own may have been lost): an answer
        // to it was sent after every pending read arrived.
        this.#bcastHeartbeat(this.#pendingReads.length > 0 ? roundContext(this.#readRound) : EMPTY);
        return;
      case "prop":
        this.#leaderPropose(m);
        return;
      case "readIndex":
        this.#leaderReadIndex(m);
        return;
      case "transferLeader":
        this.#leaderTransfer(m.index);
        return;
      default:
        break;
    }
    const pr = this.#progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case "appResp":
        pr.recentActive = true;
        this.#handleAppendResponse(m, pr);
        return;
      case "heartbeatResp":
        pr.recentActive = true;
        this.#handleHeartbeatResponse(m, pr);
        return;
      case "snapStatus":
        if (pr.state !== "snapshot") return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for a heartbeat answer before probing again.
        pr.probeSent = true;
        return;
      case "unreachable":
        if (pr.state === "replicate") pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  #leaderPropose(m: Message): void {
    if (!this.#progress.has(this.id)) throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "leader was removed");
    if (this.#leadTransferee !== NONE) {
      throw new RaftError("RAFTKV_TRANSFER_IN_PROGRESS", "leadership transfer in progress");
    }
    this.#appendEntries(m.entries);
    this.#bcastDue = true;
  }

  #appendEntries(entries: readonly Entry[]): void {
    let bytes = 0;
    for (const e of entries) if (e.data.byteLength > 0) bytes += entryBytes(e);
    if (this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.#maxUncommittedBytes) {
      throw new RaftError("RAFTKV_TOO_MANY_UNCOMMITTED", "too many uncommitted bytes; proposal refused");
    }
    this.#uncommittedBytes += bytes;
    let index = this.#log.lastIndex();
    const stamped: Entry[] = entries.map((e) => {
      index++;
      if (e.type === "confChange") this.#pendingConfIndex = index;
      return { term: this.#term, index, type: e.type, data: e.data };
    });
    this.#log.appendLocal(stamped);
    // A single-voter leader commits on its own durable write, in persisted().
    if (this.#bugs.leaderCountsUndurable === true && this.#role === "leader") this.#leaderSelfAck();
  }

  #handleAppendResponse(m: Message, pr: Progress): void {
    if (m.reject) {
      let hint = m.rejectHint;
      if (m.logTerm > 0) hint = this.#log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.#sendAppend(m.from, pr);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) {
      if (wasPaused && !pr.isPaused()) this.#sendAppend(m.from, pr);
      return;
    }
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
    if (this.#maybeCommit()) {
      this.#bcastDue = true;
    } else if (!this.#bcastDue) {
      this.#sendAppendsWhileOpen(m.from, pr);
    }
    if (m.from === this.#leadTransferee && pr.match === this.#log.lastIndex()) {
      this.#send({ type: "timeoutNow", to: m.from });
    }
  }

  #handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.probeSent = false;
    if (pr.state === "replicate" && pr.inflightFull()) pr.freeFirstOne();
    // An empty append probes a follower whose appends were lost in replicate state: it rejects
    // and the leader falls back to probing (as etcd-io/raft's sendIfEmpty).
    if (pr.match < this.#log.lastIndex()) this.#sendAppend(m.from, pr, true);
    if (m.context.byteLength === 0) return;
    if (this.#bugs.readAckByContext === true) this.#plantedAckReadByContext(m.from, m.context);
    else this.#ackReadRound(m.from, decodeRound(m.context));
  }

  /** Send appends while the window allows; returns whether any was sent. */
  #sendAppendsWhileOpen(to: NodeId, pr: Progress): boolean {
    let sent = false;
    while (pr.next <= this.#log.lastIndex() && !pr.isPaused()) {
      if (!this.#sendAppend(to, pr)) break;
      sent = true;
    }
    return sent;
  }

  /** Reused by #maybeCommit (asked on every acknowledgement): one voter's match index per slot. */
  readonly #matchScratch: number[] = [];

  #maybeCommit(): boolean {
    const matches = this.#matchScratch;
    let n = 0;
    for (const id of this.#voters) matches[n++] = this.#progress.get(id)?.match ?? 0;
    if (n === 0) return false;
    const mci = majorityCommitIndexOf(matches, n);
    if (mci <= this.#log.committed) return false;
    // Raft paper 5.4.2: only entries of the current term are committed by counting replicas.
    if (!this.#bugs.commitPreviousTermByCount && this.#log.termOrZero(mci) !== this.#term) return false;
    this.#log.commitTo(mci);
    if (this.#log.termOrZero(mci) === this.#term) this.#releaseReadsBeforeCommit();
    return true;
  }

  #bcastAppend(): void {
    for (const [id, pr] of this.#progress) {
      if (id === this.id) continue;
      // When there is nothing new to send, an empty append still carries the new commit index:
      // a follower applies (and answers its forwarded writes and reads) without waiting for
      // the next heartbeat (as etcd-io/raft's sendIfEmpty).
      if (!this.#sendAppendsWhileOpen(id, pr)) this.#sendAppend(id, pr, true);
    }
  }

  /** Send one append (or a snapshot) to `to`. Returns false when nothing could be sent. */
  #sendAppend(to: NodeId, pr: Progress, allowEmpty = false): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const after = this.#logAfter(prevIndex, this.#log.lastIndex() + 1);
    if (after === null) return this.#sendSnapshot(to, pr);
    const { prevTerm, entries } = after;
    if (entries.length === 0 && !allowEmpty && pr.state === "replicate") return false;
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex;
    this.#send({
      type: "app",
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.#log.committed,
    });
    pr.sentEntries(last, entries.length);
    return entries.length > 0;
  }

  /**
   * A member just removed may not know the commit index that covers its removal (it was being
   * probed, or its acknowledgement was still in flight). Until it applies the removal it counts
   * itself a voter, and once this leader's appends stop it campaigns: with pre-vote alone (no
   * check-quorum lease) an up-to-date log wins it the votes, and the election drops what this
   * leader had not committed. One last append from what it is known to hold carries the commit
   * index, past flow control (found by the simulator: seed 18229 of test/sim).
   */
  #sendFarewell(to: NodeId, pr: Progress): void {
    if (pr.state === "snapshot") return;
    const after = this.#logAfter(pr.match, this.#log.committed + 1);
    if (after === null) return;
    const { prevTerm, entries } = after;
    this.#send({ type: "app", to, index: pr.match, logTerm: prevTerm, entries, commit: this.#log.committed });
  }

  /** The term at `prevIndex` and the entries after it below `hi` (at most maxMsgBytes); null once compacted. */
  #logAfter(prevIndex: number, hi: number): { prevTerm: number; entries: Entry[] } | null {
    try {
      const prevTerm = this.#log.term(prevIndex);
      return { prevTerm, entries: this.#log.slice(prevIndex + 1, hi, this.#maxMsgBytes) };
    } catch (err) {
      if (err instanceof RaftError && err.code === "RAFTKV_COMPACTED") return null;
      throw err;
    }
  }

  #sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snapshot = this.#log.storage.snapshot();
    if (snapshot.meta.index === 0) return false;
    pr.becomeSnapshot(snapshot.meta.index);
    this.#send({ type: "snap", to, snapshot });
    return false;
  }

  #bcastHeartbeat(ctx: Uint8Array): void {
    for (const [id, pr] of this.#progress) {
      if (id === this.id) continue;
      this.#send({
        type: "heartbeat",
        to: id,
        // Never tell a follower to commit beyond what it is known to hold.
        commit: Math.min(pr.match, this.#log.committed),
        context: ctx,
      });
    }
  }

  #leaderTransfer(target: NodeId): void {
    const pr = this.#progress.get(target);
    if (pr === undefined || pr.learner || target === this.id) return;
    if (this.#leadTransferee === target) return;
    this.#leadTransferee = target;
    // The transfer must finish within an election timeout (thesis 3.10).
    this.#electionElapsed = 0;
    if (pr.match === this.#log.lastIndex()) this.#send({ type: "timeoutNow", to: target });
    else this.#sendAppend(target, pr, true);
  }

  // ---------------------------------------------------------------- ReadIndex (thesis 6.4)

  #committedInCurrentTerm(): boolean {
    return this.#log.termOrZero(this.#log.committed) === this.#term;
  }

  #leaderReadIndex(m: Message): void {
    if (this.#voters.length === 1 || this.#bugs.readWithoutReadIndex === true) {
      if (this.#bugs.readWithoutReadIndex !== true && !this.#committedInCurrentTerm()) {
        this.#readsBeforeCommit.push(m);
        return;
      }
      this.#answerRead(m.from, this.#log.committed, m.context);
      return;
    }
    if (!this.#committedInCurrentTerm()) {
      // No read before this leader has committed an entry of its term: its commit index may
      // lag behind the true one until then.
      this.#readsBeforeCommit.push(m);
      return;
    }
    const key = ctxKey(m.context);
    if (this.#pendingReads.some((r) => r.key === key)) return;
    // Fix (found by the fault harness, issue 4): heartbeats used to carry the read's own context
    // and an answer released every read queued before it. A context asked again (the node
    // re-issues reads whose answer it has not seen) went to the back of the queue, and a late
    // answer to its first heartbeat, sent before a newer read arrived, released that newer read:
    // a leader resumed from SIGSTOP served a stale read. A read is now confirmed only by answers
    // to a heartbeat round sent after it arrived (test/raft/read-reissue.test.ts).
    const round = ++this.#readRound;
    const read: PendingRead = {
      index: this.#log.committed,
      ctx: m.context,
      key,
      from: m.from === NONE ? this.id : m.from,
      round,
    };
    if (this.#bugs.readAckByContext === true) {
      this.#pendingReads.push({ ...read, acks: new Set([this.id]) });
      this.#bcastHeartbeat(m.context);
      return;
    }
    this.#pendingReads.push(read);
    this.#bcastHeartbeat(roundContext(round));
  }

  #releaseReadsBeforeCommit(): void {
    const waiting = this.#readsBeforeCommit;
    this.#readsBeforeCommit = [];
    for (const m of waiting) this.#leaderReadIndex(m);
  }

  #ackReadRound(from: NodeId, round: number): void {
    // Rounds beyond the last sent are not ours (e.g. echoed to a previous incarnation).
    if (round <= 0 || round > this.#readRound) return;
    if ((this.#ackedRounds.get(from) ?? 0) >= round) return;
    this.#ackedRounds.set(from, round);
    // Rounds grow along the queue, so the confirmed reads are a prefix of it.
    let n = 0;
    while (n < this.#pendingReads.length && this.#roundConfirmed(this.#pendingReads[n]!.round)) n++;
    for (const r of this.#pendingReads.splice(0, n)) this.#answerRead(r.from, r.index, r.ctx);
  }

  /** A quorum of voters (this leader included) answered round `round` or a later one. */
  #roundConfirmed(round: number): boolean {
    let acked = 0;
    for (const id of this.#voters) {
      if (id === this.id || (this.#ackedRounds.get(id) ?? 0) >= round) acked++;
    }
    return acked >= Math.floor(this.#voters.length / 2) + 1;
  }

  // Planted bug `readAckByContext` (test-only): the ReadIndex confirmation before 36a8eec.

  #plantedLastPendingReadCtx(): Uint8Array {
    const last = this.#pendingReads[this.#pendingReads.length - 1];
    return last === undefined ? EMPTY : last.ctx;
  }

  #plantedAckReadByContext(from: NodeId, ctx: Uint8Array): void {
    const key = ctxKey(ctx);
    const pos = this.#pendingReads.findIndex((r) => r.key === key);
    if (pos < 0) return;
    const read = this.#pendingReads[pos]!;
    read.acks?.add(from);
    let acked = 0;
    for (const id of this.#voters) if (read.acks?.has(id) === true) acked++;
    if (acked < Math.floor(this.#voters.length / 2) + 1) return;
    // The bug: this quorum answered a heartbeat for this context, possibly sent before the reads
    // queued ahead of it (a re-issued context goes to the back) arrived; all are released.
    const released = this.#pendingReads.splice(0, pos + 1);
    for (const r of released) this.#answerRead(r.from, r.index, r.ctx);
  }

  #answerRead(from: NodeId, index: number, ctx: Uint8Array): void {
    if (from === NONE || from === this.id) this.#readStates.push({ index, requestCtx: ctx });
    else this.#send({ type: "readIndexResp", to: from, index, context: ctx });
  }

  // ---------------------------------------------------------------- candidate

  #stepCandidate(m: Message): void {
    switch (m.type) {
      case "prop":
        throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader: election in progress");
      case "readIndex":
        throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader: election in progress");
      case "app":
        this.#becomeFollower(m.term, m.from);
        this.#handleAppend(m);
        return;
      case "heartbeat":
        this.#becomeFollower(m.term, m.from);
        this.#handleHeartbeat(m);
        return;
      case "snap":
        this.#becomeFollower(m.term, m.from);
        this.#handleSnapshot(m);
        return;
      case "voteResp":
      case "preVoteResp": {
        const expected = this.#role === "preCandidate" ? "preVoteResp" : "voteResp";
        if (m.type !== expected) return;
        this.#votes.set(m.from, !m.reject);
        const result = voteResult(this.#voters, this.#votes);
        if (result === "won") {
          if (this.#role === "preCandidate") this.#campaign("election", false);
          else {
            this.#becomeLeader();
            this.#bcastAppend();
          }
        } else if (result === "lost") {
          this.#becomeFollower(this.#term, NONE);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- follower

  #stepFollower(m: Message): void {
    switch (m.type) {
      case "prop":
        if (this.#lead === NONE) throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader");
        if (m.from !== NONE) return; // never forward a forwarded proposal twice
        this.#send({ type: "prop", to: this.#lead, term: 0, entries: m.entries });
        return;
      case "app":
        this.#heardFromLeader(m.from);
        this.#handleAppend(m);
        return;
      case "heartbeat":
        this.#heardFromLeader(m.from);
        this.#handleHeartbeat(m);
        return;
      case "snap":
        this.#heardFromLeader(m.from);
        this.#handleSnapshot(m);
        return;
      case "transferLeader":
        if (this.#lead === NONE) return;
        if (m.from !== NONE) return;
        this.#send({ type: "transferLeader", to: this.#lead, term: 0, index: m.index });
        return;
      case "timeoutNow":
        // Thesis 3.10: the leader asks us to campaign now, skipping pre-vote and leases.
        this.#hup(true);
        return;
      case "readIndex":
        if (this.#lead === NONE) throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader for read index");
        if (m.from !== NONE) return;
        this.#send({ type: "readIndex", to: this.#lead, term: 0, context: m.context });
        return;
      case "readIndexResp":
        this.#readStates.push({ index: m.index, requestCtx: m.context });
        return;
      default:
        return;
    }
  }

  /** A message only a leader sends: it is our leader, and its term's election timer restarts. */
  #heardFromLeader(leader: NodeId): void {
    this.#electionElapsed = 0;
    this.#lead = leader;
    this.#notifyState();
  }

  #handleAppend(m: Message): void {
    if (m.index < this.#log.committed) {
      this.#send({ type: "appResp", to: m.from, index: this.#log.committed });
      return;
    }
    if (this.#log.matchTerm(m.index, m.logTerm)) {
      this.#log.appendFromLeader(m.entries);
      const lastNew = m.index + m.entries.length;
      this.#log.commitTo(Math.min(m.commit, lastNew));
      this.#send({ type: "appResp", to: m.from, index: lastNew });
      return;
    }
    // Fast back-off (thesis 5.3 / etcd-io/raft): tell the leader the largest index at or below
    // the probe whose term is not above the leader's term there.
    const hint = this.#log.findConflictByTerm(Math.min(m.index, this.#log.lastIndex()), m.logTerm);
    this.#send({
      type: "appResp",
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  #handleHeartbeat(m: Message): void {
    this.#log.commitTo(Math.min(m.commit, this.#log.lastIndex()));
    this.#send({ type: "heartbeatResp", to: m.from, context: m.context });
  }

  #handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === null) return;
    const { index, term } = snap.meta;
    if (index <= this.#log.committed) {
      this.#send({ type: "appResp", to: m.from, index: this.#log.committed });
      return;
    }
    if (this.#log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry: fast-forward the commit index instead.
      this.#log.commitTo(index);
      this.#send({ type: "appResp", to: m.from, index: this.#log.committed });
      return;
    }
    this.#log.restore(snap);
    this.#setConf(snap.meta.confState);
    this.#send({ type: "appResp", to: m.from, index: this.#log.lastIndex() });
  }

  // ---------------------------------------------------------------- membership

  #setConf(cs: ConfState): void {
    this.#voters = [...cs.voters];
    this.#learners = [...cs.learners];
  }

  #validateConfChange(cc: ConfChange): void {
    if (cc.nodeId === NONE) throw new RaftError("RAFTKV_BAD_CONF_CHANGE", "node id 0 is not allowed");
    const isVoter = this.#voters.includes(cc.nodeId);
    const isLearner = this.#learners.includes(cc.nodeId);
    if (cc.type === "addLearner" && isVoter) {
      throw new RaftError(
        "RAFTKV_BAD_CONF_CHANGE",
        `node ${idHex(cc.nodeId)} is a voter; demotion is not supported`,
      );
    }
    if (cc.type === "removeNode" && !isVoter && !isLearner) {
      throw new RaftError("RAFTKV_BAD_CONF_CHANGE", `node ${idHex(cc.nodeId)} is not a member`);
    }
    if (cc.type === "removeNode" && isVoter && this.#voters.length === 1) {
      throw new RaftError("RAFTKV_BAD_CONF_CHANGE", "cannot remove the last voter");
    }
  }

  /** On restart: conf changes applied before the crash but after the snapshot. */
  #replayAppliedConfChanges(storage: Storage): void {
    const lo = Math.max(storage.snapshot().meta.index + 1, storage.firstIndex());
    const hi = Math.min(this.#log.applied, storage.lastIndex());
    for (let i = lo; i <= hi; ) {
      const batch = storage.entries(i, hi + 1, this.#maxMsgBytes);
      for (const e of batch) if (e.type === "confChange") this.#applyConfChangeData(e.data);
      i += batch.length;
    }
  }

  #applyConfChange(e: Entry): void {
    this.#applyConfChangeData(e.data);
    if (this.#role !== "leader") return;
    if (!this.#voters.includes(this.id)) {
      // A leader removed from the voters steps down once the removal is applied.
      this.#becomeFollower(this.#term, NONE);
      return;
    }
    if (this.#leadTransferee !== NONE && !this.#voters.includes(this.#leadTransferee)) {
      this.#leadTransferee = NONE;
    }
    if (this.#maybeCommit()) this.#bcastDue = true;
  }

  #applyConfChangeData(data: Uint8Array): void {
    let cc: ConfChange;
    try {
      cc = decodeConfChange(data);
    } catch {
      return; // a malformed change never entered a log through proposeConfChange; ignore
    }
    const id = cc.nodeId;
    const wasVoter = this.#voters.includes(id);
    const wasLearner = this.#learners.includes(id);
    switch (cc.type) {
      case "addVoter":
        if (wasVoter) return;
        if (wasLearner) this.#learners = this.#learners.filter((x) => x !== id);
        this.#voters = [...this.#voters, id];
        break;
      case "addLearner":
        if (wasVoter || wasLearner) return;
        this.#learners = [...this.#learners, id];
        break;
      case "removeNode":
        this.#voters = this.#voters.filter((x) => x !== id);
        this.#learners = this.#learners.filter((x) => x !== id);
        break;
    }
    if (this.#role !== "leader") return;
    if (cc.type === "removeNode") {
      const removed = this.#progress.get(id);
      this.#progress.delete(id);
      if (removed !== undefined && id !== this.id) this.#sendFarewell(id, removed);
      return;
    }
    const pr = this.#progress.get(id);
    if (pr !== undefined) {
      pr.learner = this.#learners.includes(id);
    } else {
      const fresh = new Progress(this.#log.lastIndex() + 1, this.#maxInflight, cc.type === "addLearner");
      fresh.recentActive = true;
      this.#progress.set(id, fresh);
    }
  }

  // ---------------------------------------------------------------- plumbing

  #proposeEntries(entries: Entry[]): void {
    const m: Message = { ...this.#local("prop"), entries };
    switch (this.#role) {
      case "leader":
        this.#leaderPropose(m);
        return;
      case "follower":
        if (this.#lead === NONE) throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader");
        this.#send({ type: "prop", to: this.#lead, term: 0, entries });
        return;
      default:
        throw new RaftError("RAFTKV_PROPOSAL_DROPPED", "no leader: election in progress");
    }
  }

  #local(type: MessageType): Message {
    return {
      type,
      clusterId: this.clusterId,
      from: NONE,
      to: this.id,
      term: 0,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      snapshot: null,
      reject: false,
      rejectHint: 0,
      context: EMPTY,
    };
  }

  #send(m: Partial<Message> & { type: MessageType; to: NodeId }): void {
    const full: Message = {
      clusterId: this.clusterId,
      from: this.id,
      term: m.term ?? this.#term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      snapshot: null,
      reject: false,
      rejectHint: 0,
      context: EMPTY,
      ...m,
    };
    if (NO_WAIT_TYPES.has(full.type) && (this.#role === "leader" || full.term === 0))
      this.#msgsNoWait.push(full);
    // A heartbeat answer claims nothing durable: it must not wait behind writes in flight, or a
    // slow disk would look like a lost follower to check-quorum (etcd-io/raft sends it at once too).
    else if (full.type === "heartbeatResp") this.#msgsNoWait.push(full);
    else if (this.#bugs.ackBeforeDurable === true && full.type === "appResp" && !full.reject)
      this.#msgsNoWait.push(full);
    else this.#msgs.push(full);
  }

  #hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#log.committed };
  }

  #sameHardState(a: HardState, b: HardState): boolean {
    return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
  }
}
