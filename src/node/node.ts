// One raftkv node: the run loop that drives the pure Raft core with real storage, transport,
// timers and the KV state machine, and the ApiBackend the client API serves from.
//
// The loop (DESIGN.md "The node"), one turn per event-loop turn with work: take a Ready → send
// the leader's appends and heartbeats → queue its write → hand its committed (durable) entries
// to the apply chain → hand the Ready back. The loop never waits on its own disk: one log write
// is in flight at a time, and the Readies taken meanwhile queue behind it and go out as ONE
// batch, one fsync, when it completes (group commit; etcd-io/raft's asynchronous storage
// writes). A completed write is reported to the core (`persisted`), which may then count the
// leader's own vote toward a commit, and releases the messages that waited for it (append
// acknowledgements, votes). A snapshot to install or to take stops the loop until the writes
// and applies before it are done (a barrier): rare, and simpler to reason about.

import type { Registry } from "prom-client";
import type { ApiBackend, Member, NodeStatus, ProposalKind } from "../api/backend.js";
import { NodeError } from "../api/errors.js";
import { ImportStoppedError, type KvStateMachine } from "../kv/index.js";
import {
  type Entry,
  type HardState,
  type MemoryStorage,
  type Message,
  NONE,
  type NodeId,
  Raft,
  RaftError,
  type Ready,
  type Role,
} from "../raft/index.js";
import type { DataDir } from "../storage/index.js";
import { readSnapshotFile, removeSnapshotFilesBelow, writeSnapshotFile } from "../storage/index.js";
import type { GrpcTransport } from "../transport/index.js";
import type { Logger } from "./logger.js";
import type { MemberTable } from "./members.js";
import { type MemberAddInput, type MemberAddResult, Membership } from "./membership.js";
import { WriteTimeline } from "./timeline.js";

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
  /** Take a snapshot also once this many bytes of entry data were applied since the last. */
  readonly snapshotBytes: number;
  /** The entries kept behind a snapshot hold at most this many bytes of data. */
  readonly snapshotCatchUpBytes: number;
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
  /** Where the write-path metrics are registered (raftkv_write_stage_seconds, ...). */
  readonly registry?: Registry;
}

/**
 * Seams for what watches the node from outside the loop (./alarms.ts: the backend quota; ./disk.ts:
 * a full disk). Each is asked synchronously; none may block.
 */
export interface NodeHooks {
  /** Refuses a write ("read": a linearizable read) before it reaches the core: the client's error. */
  admit?(kind: ProposalKind | "memberAttributes" | "read", request: object | null): Error | null;
  /** Why this member is not ready (Status errors, /readyz); empty when it is. */
  problems?(): string[];
  /** Status fields measured outside the loop (store size, quota). */
  status?(): Partial<Pick<NodeStatus, "dbSize" | "dbSizeInUse" | "dbSizeQuota">>;
}

interface ProposalWaiter {
  readonly resolve: (r: object) => void;
  readonly reject: (e: Error) => void;
  /** Date.now() past which the call fails with "request timed out" (one sweep per tick). */
  readonly deadlineMs: number;
  /** Where the proposal went: this member (its own log) or the leader it was forwarded to. */
  readonly leader: NodeId;
}

/** A log write: the writes of the Readies that waited, merged, and what waits for it. */
interface LogWrite {
  hardState: HardState | null;
  entries: Entry[];
  /** Messages to send once this write (and every earlier one) is durable. */
  readonly messages: Message[];
}

interface ReadWaiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly deadline: number;
}

interface ReadBatch {
  readonly ctx: Uint8Array;
  readonly key: string;
  readonly waiters: ReadWaiter[];
  /** The read index, once the leader answered. */
  index: number;
  issuedAt: number;
}

export class RaftKvNode implements ApiBackend {
  readonly clusterId: number;
  readonly memberId: number;
  readonly name: string;
  readonly raft: Raft;
  readonly kv: KvStateMachine;
  readonly #opts: NodeOptions;
  readonly #log: Logger;
  #ticker: NodeJS.Timeout | null = null;
  #loopScheduled = false;
  /** A snapshot install or snapshot take is running: no Ready is taken until it ends. */
  #barrier = false;
  /** The log write in flight, and the writes queued behind it (merged when it completes). */
  #writing: LogWrite | null = null;
  #writeQueue: LogWrite | null = null;
  /** Term and vote of the last hard state handed to a write (a change needs fsync). */
  #writtenTerm = 0;
  #writtenVote: NodeId = NONE;
  readonly timeline: WriteTimeline;
  #stopping = false;
  #stopped = false;
  #fatal: Error | null = null;
  #requestSeq = 0;
  readonly #requestPrefix: number;
  readonly #proposals = new Map<bigint, ProposalWaiter>();
  /** Reads collected this turn, issued together as one ReadIndex request. */
  #readQueue: ReadWaiter[] = [];
  #readSeq = 0;
  readonly #readBatches = new Map<string, ReadBatch>();
  /** Snapshots being sent, per peer (one at a time). */
  readonly #snapshotsSending = new Set<NodeId>();
  #lastSnapshotIndex: number;
  /** Bytes of entry data applied since the last snapshot taken or installed (`#snapshotDue`). */
  #appliedBytesSinceSnapshot: number;
  readonly #loopIdle: (() => void)[] = [];
  readonly #stateListeners = new Set<(s: { role: Role; term: number; leaderId: NodeId }) => void>();

  constructor(opts: NodeOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.clusterId = opts.clusterId;
    this.memberId = opts.memberId;
    this.name = opts.name;
    this.kv = opts.kv;
    // Request IDs: 21 bits of the member ID, 32 bits of sequence — unique per member and run
    // (a restart begins a new sequence, but waiters do not survive a restart either).
    this.#requestPrefix = (opts.memberId % 0x1fffff) * 0x100000000;
    this.#requestSeq = Math.floor((opts.random ?? Math.random)() * 0x7fffffff);
    // Read contexts must not repeat across restarts either: a leader may still hold a previous
    // incarnation's pending read under the same context and would answer the new read with the
    // older read index (a stale read). Start each run at a random point of a 2^53 space.
    this.#readSeq = Math.floor((opts.random ?? Math.random)() * 2 ** 52);
    this.timeline = new WriteTimeline(opts.registry ?? null);
    this.raft = new Raft({
      id: opts.memberId,
      clusterId: opts.clusterId,
      storage: opts.storage,
      random: opts.random ?? Math.random,
      electionTicks: opts.timings.electionTicks,
      heartbeatTicks: opts.timings.heartbeatTicks,
      applied: opts.kv.appliedIndex,
      onStateChange: (s) => this.#onStateChange(s),
    });
    this.#lastSnapshotIndex = opts.storage.snapshot().meta.index;
    this.#appliedBytesSinceSnapshot = dataBytes(
      this.#heldEntries(this.#lastSnapshotIndex + 1, opts.kv.appliedIndex),
    );
    const hs = opts.storage.hardState();
    this.#writtenTerm = hs.term;
    this.#writtenVote = hs.vote;
    if (opts.clientURLs !== undefined) {
      this.#publisher = new AttributePublisher(
        {
          memberId: opts.memberId,
          kv: opts.kv,
          hasLeader: () => this.raft.leaderId !== NONE && !this.#stopping,
          proposeMemberAttributes: (attributes) => this.propose("memberAttributes", attributes),
        },
        opts.name,
        opts.clientURLs,
        opts.logger,
      );
    }
  }

  readonly #publisher: AttributePublisher | null = null;

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    this.#ticker = setInterval(() => {
      this.raft.tick();
      this.#expireProposals();
      this.#retryStaleReads();
      this.#publisher?.poke();
      this.#kick();
    }, this.#opts.timings.tickMs);
    this.#kick();
  }

  /** Graceful stop: hand leadership over, stop taking requests, finish those in flight. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopping = true;
    const deadline = Date.now() + this.#electionTimeoutMs() * 3;
    if (this.raft.role === "leader") await this.#transferAway(deadline);
    await this.#waitFor(() => this.#proposals.size === 0 && this.#readBatches.size === 0, deadline);
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#ticker = null;
    // A snapshot install in progress (seconds with millions of keys) stops at its next batch
    // rather than run on while the data dir closes under it (#runBarrier).
    this.kv.stopImports();
    await this.#waitFor(
      () => (!this.#barrier || this.#installStopped) && this.#writing === null && this.#writeQueue === null,
      Date.now() + 5000,
    );
    await this.#applyDrained();
    this.#stopped = true;
    this.#failAll(new NodeError("RAFTKV_STOPPING"));
  }

  get fatalError(): Error | null {
    return this.#fatal;
  }

  /** Called once if the node hits an error it cannot continue from (storage failure). */
  onFatal(fn: (err: Error) => void): void {
    this.#fatalListeners.push(fn);
  }

  readonly #fatalListeners: ((err: Error) => void)[] = [];

  onStateChange(fn: (s: { role: Role; term: number; leaderId: NodeId }) => void): () => void {
    this.#stateListeners.add(fn);
    return () => this.#stateListeners.delete(fn);
  }

  // ---------------------------------------------------------------- peer input

  /** Messages from the transport. */
  receive(msgs: readonly Message[]): void {
    if (this.#stopped) return;
    for (const m of msgs) {
      if (m.type === "appResp" && !m.reject) this.timeline.followerAcked(m.index, performance.now());
      this.raft.step(m);
    }
    this.#kick();
  }

  /** A snapshot streamed by the leader: stage it on disk, then hand the message to the core. */
  async receiveSnapshot(msg: Message, chunks: AsyncIterable<Buffer>): Promise<void> {
    const snap = msg.snapshot;
    if (snap === null) throw new Error("snapshot message without metadata");
    const path = await writeSnapshotFile(this.#opts.dataDir.snapDir, snap.meta.index, chunks);
    this.#stagedSnapshots.set(snap.meta.index, path);
    this.receive([msg]);
  }

  readonly #stagedSnapshots = new Map<number, string>();

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
    this.#kick();
  }

  // ---------------------------------------------------------------- ApiBackend

  raftTerm(): number {
    return this.raft.term;
  }

  ready(): boolean {
    return (
      !this.#stopping && this.#fatal === null && this.raft.leaderId !== NONE && this.#problems().length === 0
    );
  }

  // ---------------------------------------------------------------- hooks (NodeHooks)

  readonly #hooks: NodeHooks[] = [];

  addHooks(hooks: NodeHooks): void {
    this.#hooks.push(hooks);
  }

  #admit(kind: ProposalKind | "memberAttributes" | "read", request: object | null): Error | null {
    for (const h of this.#hooks) {
      const refused = h.admit?.(kind, request) ?? null;
      if (refused !== null) return refused;
    }
    return null;
  }

  #problems(): string[] {
    return this.#hooks.flatMap((h) => h.problems?.() ?? []);
  }

  /** Hands leadership to the most up-to-date voter, if this member leads (a full disk). */
  stepDown(): void {
    if (this.raft.role !== "leader" || this.#stopping) return;
    void this.#transferAway(Date.now() + this.#electionTimeoutMs() * 3);
  }

  /**
   * Takes a snapshot at the applied index now and drops the log behind it, keeping only what the
   * followers still lack, at most snapshotCatchUpEntries and snapshotCatchUpBytes (Defragment).
   * Runs in the loop's slot: no Ready is handled meanwhile. Resolves with the new first index of
   * the log.
   */
  async snapshotNow(): Promise<number> {
    if (this.#stopping || this.#fatal !== null) throw new NodeError("RAFTKV_STOPPING");
    const deadline = Date.now() + this.#opts.timings.requestTimeoutMs;
    if (!(await this.#waitFor(() => !this.#barrier, deadline))) throw new NodeError("RAFTKV_TIMEOUT");
    // A barrier: no Ready is taken; the writes and applies in flight finish (a held write on a
    // full disk may not: then the call times out and the loop goes on).
    this.#barrier = true;
    try {
      const quiet = () =>
        this.#writing === null &&
        this.#writeQueue === null &&
        !this.#applying &&
        this.#applyQueue.length === 0;
      for (;;) {
        this.#pumpWrites();
        if (this.#applyQueue.length > 0 && !this.#applying) this.#startApply();
        if (quiet()) break;
        if (!(await this.#waitFor(quiet, deadline))) throw new NodeError("RAFTKV_TIMEOUT");
      }
      await this.#takeSnapshot(this.#neededByFollowers());
    } finally {
      this.#barrier = false;
      this.#kick();
    }
    return this.#opts.storage.firstIndex();
  }

  /** Entries behind the applied index a follower still needs (a leader's view; 0 otherwise). */
  #neededByFollowers(): number {
    const st = this.raft.status();
    let oldest = st.appliedIndex;
    for (const [id, pr] of st.progress ?? []) if (id !== this.memberId) oldest = Math.min(oldest, pr.match);
    return Math.min(this.#opts.limits.snapshotCatchUpEntries, st.appliedIndex - oldest);
  }

  members(): Member[] {
    const cs = this.raft.confState();
    return this.#opts.members.list(cs.voters, cs.learners);
  }

  status(): NodeStatus {
    const st = this.raft.status();
    const errors: string[] = [];
    if (st.leaderId === NONE) errors.push("etcdserver: no leader");
    if (this.#fatal !== null) errors.push(this.#fatal.message);
    errors.push(...this.#problems());
    return {
      leader: st.leaderId,
      raftIndex: st.commitIndex,
      raftTerm: st.term,
      raftAppliedIndex: this.kv.appliedIndex,
      dbSize: this.kv.approximateBytes?.() ?? 0,
      version: this.#opts.version,
      isLearner: st.confState.learners.includes(this.memberId),
      errors,
      ...Object.assign({}, ...this.#hooks.map((h) => h.status?.() ?? {})),
    };
  }

  propose(kind: ProposalKind | "memberAttributes", req: object, encoded?: Buffer): Promise<object> {
    if (this.#stopping || this.#fatal !== null) return Promise.reject(new NodeError("RAFTKV_STOPPING"));
    if (this.#proposals.size >= this.#opts.limits.maxPendingProposals) {
      return Promise.reject(new NodeError("RAFTKV_TOO_MANY_REQUESTS"));
    }
    const refused = this.#admit(kind, req);
    if (refused !== null) return Promise.reject(refused);
    const receivedMs = performance.now();
    const id = this.#nextRequestId();
    // Encode once: the request's bytes as they arrived travel in the entry unchanged.
    const data =
      encoded !== undefined
        ? encodeCommandFromBytes(id, kind, encoded)
        : encodeCommand(id, kind, req as CommandRequests[typeof kind]);
    const leader = this.raft.leaderId;
    try {
      this.raft.propose(data);
    } catch (err) {
      return Promise.reject(this.#mapRaftError(err));
    }
    if (this.raft.role === "leader") this.timeline.track(this.raft.lastIndex, receivedMs, performance.now());
    this.#kick();
    const deadlineMs = Date.now() + this.#opts.timings.requestTimeoutMs;
    return new Promise<object>((resolve, reject) => {
      this.#proposals.set(id, { resolve, reject, deadlineMs, leader });
    });
  }

  /** Proposals past their deadline fail (in insertion order, so deadline order: stop at the first live one). */
  #expireProposals(): void {
    const now = Date.now();
    for (const [id, w] of this.#proposals) {
      if (w.deadlineMs > now) break;
      this.#proposals.delete(id);
      w.reject(new NodeError("RAFTKV_TIMEOUT"));
    }
  }

  readBarrier(): Promise<void> {
    if (this.#stopping || this.#fatal !== null) return Promise.reject(new NodeError("RAFTKV_STOPPING"));
    const refused = this.#admit("read", null);
    if (refused !== null) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      this.#readQueue.push({ resolve, reject, deadline: Date.now() + this.#opts.timings.requestTimeoutMs });
      this.#kick();
    });
  }

  async moveLeader(target: number): Promise<void> {
    if (this.raft.role !== "leader") throw new NodeError("RAFTKV_NOT_LEADER");
    if (!this.raft.confState().voters.includes(target)) throw new NodeError("RAFTKV_BAD_LEADER_TRANSFEREE");
    if (target === this.memberId) return;
    this.raft.transferLeader(target);
    this.#kick();
    const ok = await this.#waitFor(
      () => this.raft.leaderId === target,
      Date.now() + this.#electionTimeoutMs() * 2,
    );
    if (!ok) throw new NodeError("RAFTKV_TIMEOUT");
  }

  snapshot(): AsyncIterable<Buffer> {
    return this.kv.exportSnapshot();
  }

  // ---------------------------------------------------------------- membership (./membership.ts)

  async memberAdd(request: MemberAddInput): Promise<MemberAddResult> {
    return this.#membership().add(request);
  }

  async memberRemove(id: number): Promise<Member[]> {
    return this.#membership().remove(id);
  }

  async memberPromote(id: number): Promise<Member[]> {
    return this.#membership().promote(id);
  }

  #membershipChanges: Membership | null = null;

  #membership(): Membership {
    if (this.#stopping || this.#fatal !== null) throw new NodeError("RAFTKV_STOPPING");
    this.#membershipChanges ??= new Membership({
      raft: this.raft,
      memberTable: this.#opts.members,
      requestTimeoutMs: this.#opts.timings.requestTimeoutMs,
      kick: () => this.#kick(),
      waitFor: (cond, deadline) => this.#waitFor(cond, deadline),
      listMembers: () => this.members(),
    });
    return this.#membershipChanges;
  }

  // ---------------------------------------------------------------- the loop

  #kick(): void {
    if (this.#loopScheduled || this.#stopped) return;
    this.#loopScheduled = true;
    setImmediate(this.#turn);
  }

  /** One turn of the loop: take at most one Ready (everything the core has) and hand it out. */
  readonly #turn = (): void => {
    this.#loopScheduled = false;
    if (this.#stopped || this.#barrier || this.#fatal !== null) return;
    this.#flushReads();
    if (this.#applyBacklog > MAX_APPLY_BACKLOG_ENTRIES) return; // the apply chain kicks when it drains
    // Take a snapshot once due; if the take could not happen (the state machine lagged), try
    // again only after more has been applied, not every turn.
    if (this.#snapshotDue() && this.kv.appliedIndex !== this.#snapshotTriedAt) {
      this.#snapshotTriedAt = this.kv.appliedIndex;
      this.#runBarrier(null);
      return;
    }
    if (!this.raft.hasReady()) {
      this.#notifyIdle();
      return;
    }
    const rd = this.raft.ready();
    this.#send(rd.messagesNoWait);
    if (rd.snapshot !== null) {
      this.#runBarrier(rd);
      return;
    }
    this.#queueWrite(rd);
    for (const rs of rd.readStates) this.#onReadState(rs.index, rs.requestCtx);
    if (rd.hardState !== null) this.timeline.committed(rd.hardState.commit, performance.now());
    if (rd.committed.length > 0) this.#applyInOrder(rd.committed);
    this.raft.acceptReady(rd);
    this.#releaseReads();
    this.#pumpWrites();
  };

  /** Queue the Ready's write behind the one in flight; messages that wait go with the last write. */
  #queueWrite(rd: Ready): void {
    const hs = rd.hardState;
    const termOrVote = hs !== null && (hs.term !== this.#writtenTerm || hs.vote !== this.#writtenVote);
    if (rd.entries.length === 0 && !termOrVote) {
      // Nothing to write but, at most, a new commit index. Raft keeps that index volatile (a
      // restart takes the stored one or the store's applied index, whichever is higher: see
      // RaftLog's constructor), so it is not a write of its own: it rides with a write still
      // queued, or with the next one. Its messages still wait for every earlier write.
      const q = this.#writeQueue;
      if (hs !== null) {
        if (q !== null) q.hardState = hs;
        else this.#opts.storage.setHardState(hs);
      }
      if (rd.messages.length === 0) return;
      const last = q ?? this.#writing;
      if (last === null) this.#send(rd.messages);
      else for (const m of rd.messages) last.messages.push(m);
      return;
    }
    if (termOrVote) {
      this.#writtenTerm = hs.term;
      this.#writtenVote = hs.vote;
    }
    const q = this.#writeQueue;
    if (q === null) {
      this.#writeQueue = { hardState: hs, entries: [...rd.entries], messages: [...rd.messages] };
      return;
    }
    if (hs !== null) q.hardState = hs;
    appendReplacing(q.entries, rd.entries);
    for (const m of rd.messages) q.messages.push(m);
  }

  /** Start the queued write when none is in flight. */
  #pumpWrites(): void {
    if (this.#writing !== null || this.#writeQueue === null) return;
    const w = this.#writeQueue;
    this.#writeQueue = null;
    this.#writing = w;
    const startMs = performance.now();
    this.#opts.dataDir.raftLog.save({ hardState: w.hardState, entries: w.entries, snapshot: null }).then(
      () => this.#written(w, startMs),
      (err: unknown) => this.#die(err),
    );
  }

  /** A log write is durable: mirror it, tell the core, send what waited, start the next. */
  #written(w: LogWrite, startMs: number): void {
    if (this.#fatal !== null) return;
    const nowMs = performance.now();
    const ms = this.#opts.storage;
    ms.append(w.entries);
    if (w.hardState !== null) {
      // A commit index taken after this write was queued may already be in the mirror: keep it.
      const cur = ms.hardState();
      const hs = w.hardState;
      ms.setHardState(cur.term === hs.term && cur.vote === hs.vote && cur.commit > hs.commit ? cur : hs);
    }
    this.raft.persisted({ snapshot: null, entries: w.entries });
    const last = w.entries[w.entries.length - 1];
    if (last !== undefined) this.timeline.leaderPersisted(last.index, nowMs);
    this.timeline.logWritten(startMs, nowMs, w.entries.length);
    this.#writing = null;
    this.#send(w.messages);
    this.#pumpWrites();
    if (this.#writing === null) for (const r of this.#writeDrainWaiters.splice(0)) r();
    this.#kick();
  }

  /**
   * Everything before stops: the writes in flight and queued complete, the apply chain drains;
   * then a snapshot is installed (`rd`) or taken, and the loop goes on.
   */
  #runBarrier(rd: Ready | null): void {
    this.#barrier = true;
    this.#drained()
      .then(async () => {
        if (this.#snapshotDue()) await this.#takeSnapshot();
        if (rd !== null) await this.#handleSnapshotReady(rd);
      })
      .then(
        () => {
          this.#barrier = false;
          this.#kick();
        },
        (err: unknown) => {
          if (err instanceof ImportStoppedError && this.#stopping) {
            // stop() asked for it. The barrier stays up: the Ready was not handled, so no further
            // turn may take one. Nothing was recorded in the log: the next start finishes the
            // import from the staged file, or the leader sends the snapshot again.
            this.#installStopped = true;
            this.#log.info({ index: rd?.snapshot?.meta.index }, "snapshot install stopped by the shutdown");
            return;
          }
          this.#die(err);
        },
      );
  }

  /** A snapshot install was stopped by stop() (the barrier stays up until the node is gone). */
  #installStopped = false;

  /** Resolves once no log write is in flight or queued and every queued apply is done. */
  async #drained(): Promise<void> {
    while ((this.#writing !== null || this.#writeQueue !== null) && this.#fatal === null) {
      this.#pumpWrites();
      await new Promise<void>((r) => this.#writeDrainWaiters.push(r));
    }
    await this.#applyDrained();
  }

  readonly #writeDrainWaiters: (() => void)[] = [];
  #snapshotTriedAt = -1;

  /** A Ready carrying a snapshot from the leader: install, persist, then the rest of the Ready. */
  async #handleSnapshotReady(rd: Ready): Promise<void> {
    await this.#installSnapshot(rd);
    await this.#opts.dataDir.raftLog.save({
      hardState: rd.hardState,
      entries: [...rd.entries],
      snapshot: rd.snapshot?.meta ?? null,
    });
    if (rd.hardState !== null) {
      this.#writtenTerm = rd.hardState.term;
      this.#writtenVote = rd.hardState.vote;
    }
    // The log records the install: older staged snapshot files are no longer needed to finish
    // an interrupted one (./open-kv.ts).
    await removeSnapshotFilesBelow(this.#opts.dataDir.snapDir, rd.snapshot!.meta.index);
    const ms = this.#opts.storage;
    ms.applySnapshot(rd.snapshot!);
    ms.append(rd.entries);
    if (rd.hardState !== null) ms.setHardState(rd.hardState);
    this.raft.persisted(rd);
    this.#send(rd.messages);
    for (const rs of rd.readStates) this.#onReadState(rs.index, rs.requestCtx);
    if (rd.committed.length > 0) this.#applyInOrder(rd.committed);
    this.raft.acceptReady(rd);
    this.#releaseReads();
  }

  /**
   * Apply runs behind the loop, in order: one apply batch in flight, and the committed entries
   * of the Readies taken meanwhile wait and go as ONE next batch (one LevelDB write), as log
   * writes do. The next log write's fsync overlaps this apply; the core's applied index runs
   * ahead of the state machine's by at most the backlog, and reads wait on the state machine's.
   */
  #applyInOrder(committed: readonly Entry[]): void {
    this.#applyBacklog += committed.length;
    for (const e of committed) this.#applyQueue.push(e);
    if (!this.#applying) this.#startApply();
  }

  #startApply(): void {
    const batch = this.#applyQueue;
    this.#applyQueue = [];
    this.#applying = true;
    this.#applyChain = this.#apply(batch).then(
      () => {
        const wasOver = this.#applyBacklog > MAX_APPLY_BACKLOG_ENTRIES;
        this.#applyBacklog -= batch.length;
        this.#applying = false;
        this.#releaseReads();
        if (this.#applyQueue.length > 0 && this.#fatal === null) this.#startApply();
        if (wasOver) this.#kick();
      },
      (err: unknown) => {
        this.#applying = false;
        this.#die(err);
      },
    );
  }

  /** Resolves once every committed entry handed out is applied (or the node failed). */
  async #applyDrained(): Promise<void> {
    while ((this.#applying || this.#applyQueue.length > 0) && this.#fatal === null) {
      if (!this.#applying) this.#startApply();
      await this.#applyChain;
    }
  }

  /** The apply batch in flight (resolves, never rejects: a failure stops the node). */
  #applyChain: Promise<void> = Promise.resolve();
  #applying = false;
  #applyQueue: Entry[] = [];
  #applyBacklog = 0;

  async #apply(entries: readonly Entry[]): Promise<void> {
    const published: Uint8Array[] = [];
    const committed: CommittedEntry[] = entries.map((e) => {
      if (e.type !== "confChange") {
        if (isMemberAttributesEntry(e.data)) published.push(e.data);
        return { index: e.index, data: e.data };
      }
      // Membership: the table and the transport change now; the KV store records the member
      // metadata in the same batch as the applied index, so it survives restarts and snapshots.
      const cc = this.#opts.members.applyConfChange(e.data, this.#opts.transport, this.memberId);
      if (cc === null) return { index: e.index, data: EMPTY };
      const info = cc.type === "removeNode" ? null : (this.#opts.members.get(cc.nodeId) ?? null);
      return { index: e.index, data: EMPTY, members: [{ id: cc.nodeId, member: info }] };
    });
    const startMs = performance.now();
    const last = entries[entries.length - 1]!.index;
    // Answered once applied in memory, before the store's LevelDB batch: the entries are
    // committed (durable on a quorum; a restart applies them again from the log), reads on this
    // member already see them, and linearizable reads still wait for the store's applied index.
    const results = await this.kv.apply(committed, (answerable) => {
      this.timeline.applied(last, performance.now());
      this.#answer(answerable);
      this.timeline.answered(last, performance.now());
    });
    this.#appliedBytesSinceSnapshot += dataBytes(entries);
    this.timeline.applyDone(startMs, performance.now());
    this.#answer(results); // those that read a value back once written (prev_kv, txn ranges)
    if (published.length > 0) this.#onMembersPublished(published);
  }

  /** Resolves the waiting proposals among `results` (each proposal once). */
  #answer(results: ReadonlyMap<RequestId, KvResult | KvError>): void {
    for (const [id, result] of results) {
      const w = this.#proposals.get(id);
      if (w === undefined) continue;
      this.#proposals.delete(id);
      if (result instanceof Error) w.reject(result);
      else w.resolve(result);
    }
  }

  /** Applied memberAttributes: the member table follows the store; the publisher's call resolves. */
  #onMembersPublished(published: readonly Uint8Array[]): void {
    for (const data of published) {
      const command = decodeCommand(data);
      if (command.kind !== "memberAttributes") continue;
      const stored = this.kv.member(command.request.ID);
      if (stored !== undefined) this.#opts.members.set(command.request.ID, stored);
      const w = this.#proposals.get(command.id);
      if (w === undefined) continue;
      this.#proposals.delete(command.id);
      w.resolve({});
    }
  }

  #send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    let plain: Message[] | null = null;
    for (const m of msgs) {
      if (m.type === "snap") {
        this.#sendSnapshot(m);
        continue;
      }
      plain ??= [];
      plain.push(m);
    }
    if (plain !== null) this.#opts.transport.send(plain);
  }

  #sendSnapshot(m: Message): void {
    if (this.#snapshotsSending.has(m.to)) return;
    this.#snapshotsSending.add(m.to);
    this.#log.info({ to: m.to, index: m.snapshot?.meta.index }, "sending snapshot");
    this.#opts.transport
      .sendSnapshot(m, () => this.kv.exportSnapshot())
      .then(
        (ok) => ok,
        () => false,
      )
      .then((ok) => {
        this.#snapshotsSending.delete(m.to);
        this.#log.info({ to: m.to, ok }, "snapshot sent");
        this.raft.reportSnapshot(m.to, ok);
        this.#kick();
      });
  }

  async #installSnapshot(rd: Ready): Promise<void> {
    const snap = rd.snapshot!;
    const path = this.#stagedSnapshots.get(snap.meta.index);
    if (path === undefined) throw new Error(`snapshot ${snap.meta.index} was accepted but never staged`);
    // The KV data first: a crash before the log records the snapshot leaves a store that is
    // ahead of its log, which the consistent index makes harmless; the other order would not.
    await this.kv.importSnapshot(readSnapshotFile(path));
    this.#stagedSnapshots.delete(snap.meta.index);
    this.#lastSnapshotIndex = snap.meta.index;
    this.#appliedBytesSinceSnapshot = 0;
    for (const [id, info] of await this.kv.loadMembers()) this.#opts.members.set(id, info);
    this.#log.info({ index: snap.meta.index, applied: this.kv.appliedIndex }, "installed snapshot");
  }

  /** Due after snapshotEntries applied entries, or sooner once they hold snapshotBytes of data. */
  #snapshotDue(): boolean {
    const limits = this.#opts.limits;
    return (
      this.kv.appliedIndex - this.#lastSnapshotIndex >= limits.snapshotEntries ||
      this.#appliedBytesSinceSnapshot >= limits.snapshotBytes
    );
  }

  /**
   * Snapshot at the applied index (state machine and core agree: the apply chain is drained),
   * keeping at most `retain` entries behind it and at most snapshotCatchUpBytes of them.
   */
  async #takeSnapshot(retain = this.#opts.limits.snapshotCatchUpEntries): Promise<void> {
    const applied = this.kv.appliedIndex;
    if (applied !== this.raft.status().appliedIndex) return;
    if (applied <= this.#opts.storage.snapshot().meta.index) {
      // Fix (found by the fault harness, seed 35): an installed snapshot can sit exactly at the
      // applied index; recording it again was refused as out of date, which was fatal.
      this.#lastSnapshotIndex = applied;
      this.#appliedBytesSinceSnapshot = 0;
      return;
    }
    // Applied KV writes are not synced; make them durable before the log behind them goes.
    await this.kv.persist();
    this.raft.compact(applied, new Uint8Array(0), this.#retainWithinBytes(applied, retain));
    const meta = this.#opts.storage.snapshot().meta;
    // The stored commit index may lag (commit-only hard states are not written on their own):
    // the log store keeps a snapshot at or below it, so store the one the core has first.
    const raftLog = this.#opts.dataDir.raftLog;
    if (raftLog.hardState().commit < meta.index) {
      await raftLog.save({ hardState: this.#opts.storage.hardState(), entries: [], snapshot: null });
    }
    await raftLog.recordSnapshot(meta);
    await this.#opts.dataDir.raftLog.compact(this.#opts.storage.firstIndex() - 1);
    this.#lastSnapshotIndex = applied;
    this.#appliedBytesSinceSnapshot = 0;
    this.#log.info({ index: applied, firstIndex: this.#opts.storage.firstIndex() }, "snapshot taken");
  }

  /**
   * Of the `retain` entries up to `index` to keep behind a snapshot there, as many as hold at
   * most snapshotCatchUpBytes of data, counted back from `index`: large entries keep fewer.
   */
  #retainWithinBytes(index: number, retain: number): number {
    const held = this.#heldEntries(index - retain + 1, index);
    let bytes = 0;
    for (let i = held.length - 1; i >= 0; i--) {
      bytes += held[i]!.data.byteLength;
      if (bytes > this.#opts.limits.snapshotCatchUpBytes) return held.length - 1 - i;
    }
    return retain;
  }

  /** The entries in [lo, hi] this member's in-memory log still holds. */
  #heldEntries(lo: number, hi: number): Entry[] {
    const ms = this.#opts.storage;
    const from = Math.max(lo, ms.firstIndex());
    const to = Math.min(hi, ms.lastIndex());
    return from > to ? [] : ms.entries(from, to + 1, Number.POSITIVE_INFINITY);
  }

  #die(err: unknown): void {
    if (this.#fatal !== null) return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.#fatal = e;
    this.#stopping = true;
    for (const r of this.#writeDrainWaiters.splice(0)) r();
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#log.error({ err: e }, "fatal: the node stops taking requests");
    this.#failAll(new NodeError("RAFTKV_STOPPING", undefined, { cause: e }));
    for (const fn of this.#fatalListeners) fn(e);
  }

  #failAll(err: Error): void {
    for (const [, w] of this.#proposals) w.reject(err);
    this.#proposals.clear();
    for (const w of this.#readQueue) w.reject(err);
    this.#readQueue = [];
    for (const b of this.#readBatches.values()) for (const w of b.waiters) w.reject(err);
    this.#readBatches.clear();
  }

  // ---------------------------------------------------------------- reads

  /** Issue one ReadIndex request for every read that arrived since the last turn. */
  #flushReads(): void {
    if (this.#readQueue.length === 0) return;
    if (this.raft.leaderId === NONE) return; // wait for a leader (retried each tick until the deadline)
    const waiters = this.#readQueue;
    this.#readQueue = [];
    // The context names this member too: the leader keeps one pending read per context, so two
    // followers' requests with the same bare sequence would collide (the later one is dropped and
    // only retried an election timeout later).
    const ctx = new Uint8Array(16);
    const view = new DataView(ctx.buffer);
    view.setBigUint64(0, BigInt(this.memberId));
    view.setBigUint64(8, BigInt(++this.#readSeq));
    const key = Buffer.from(ctx).toString("latin1");
    const batch: ReadBatch = { ctx, key, waiters, index: -1, issuedAt: Date.now() };
    this.#readBatches.set(key, batch);
    this.#issueRead(batch);
  }

  #issueRead(batch: ReadBatch): void {
    batch.issuedAt = Date.now();
    try {
      this.raft.readIndex(batch.ctx);
    } catch {
      // No leader right now: the tick retries until the deadline.
    }
  }

  #onReadState(index: number, ctx: Uint8Array): void {
    const batch = this.#readBatches.get(Buffer.from(ctx).toString("latin1"));
    if (batch === undefined || batch.index >= 0) return;
    batch.index = index;
  }

  #releaseReads(): void {
    if (this.#readBatches.size === 0) return;
    const applied = this.kv.appliedIndex;
    for (const [key, batch] of this.#readBatches) {
      if (batch.index < 0 || batch.index > applied) continue;
      this.#readBatches.delete(key);
      for (const w of batch.waiters) w.resolve();
    }
  }

  /** Reads whose request or answer was lost (leader change, dropped message) are re-issued. */
  #retryStaleReads(): void {
    const now = Date.now();
    const retryAfterMs = this.#opts.timings.tickMs * this.#opts.timings.electionTicks;
    for (const [key, batch] of this.#readBatches) {
      const live = batch.waiters.filter((w) => w.deadline > now);
      if (live.length < batch.waiters.length) {
        for (const w of batch.waiters) if (w.deadline <= now) w.reject(new NodeError("RAFTKV_TIMEOUT"));
        batch.waiters.splice(0, batch.waiters.length, ...live);
      }
      if (batch.waiters.length === 0) {
        this.#readBatches.delete(key);
        continue;
      }
      if (batch.index < 0 && now - batch.issuedAt >= retryAfterMs) this.#issueRead(batch);
    }
    const queued = this.#readQueue.filter((w) => w.deadline > now);
    for (const w of this.#readQueue) if (w.deadline <= now) w.reject(new NodeError("RAFTKV_NO_LEADER"));
    this.#readQueue = queued;
  }

  // ---------------------------------------------------------------- helpers

  #onStateChange(s: { role: Role; term: number; leaderId: NodeId }): void {
    this.timeline.reset();
    if (s.leaderId !== this.#knownLeader) {
      this.#knownLeader = s.leaderId;
      this.#failForwarded(s.leaderId);
    }
    if (s.leaderId !== NONE) {
      if (this.#publisher !== null) setImmediate(() => this.#publisher?.poke());
      // Reads waiting for an answer from a previous leader are asked again.
      for (const batch of this.#readBatches.values()) if (batch.index < 0) batch.issuedAt = 0;
    }
    this.#log.info({ role: s.role, term: s.term, leader: s.leaderId }, "raft state");
    for (const fn of this.#stateListeners) fn(s);
  }

  #knownLeader: NodeId = NONE;

  /**
   * Proposals forwarded to a leader that is no longer the leader fail now with "leader changed"
   * instead of waiting out the request timeout: the old leader may have died, or dropped them
   * (it refuses proposals while it hands leadership over). Their outcome is unknown, as after a
   * timeout — the entry may still commit — but the client learns it at once and can go on, and a
   * graceful stop does not wait for them. Proposals this member appended as leader keep waiting:
   * after a handover the new leader holds them and commits them.
   */
  #failForwarded(newLeader: NodeId): void {
    for (const [id, w] of this.#proposals) {
      if (w.leader === this.memberId || w.leader === newLeader) continue;
      this.#proposals.delete(id);
      w.reject(new NodeError("RAFTKV_LEADER_CHANGED"));
    }
  }

  #nextRequestId(): bigint {
    this.#requestSeq = (this.#requestSeq + 1) >>> 0;
    return BigInt(this.#requestPrefix + this.#requestSeq);
  }

  #mapRaftError(err: unknown): Error {
    if (!(err instanceof RaftError)) return err instanceof Error ? err : new Error(String(err));
    switch (err.code) {
      case "RAFTKV_TOO_MANY_UNCOMMITTED":
        return new NodeError("RAFTKV_TOO_MANY_REQUESTS", undefined, { cause: err });
      case "RAFTKV_TRANSFER_IN_PROGRESS":
        return new NodeError("RAFTKV_LEADER_CHANGED", undefined, { cause: err });
      default:
        return new NodeError("RAFTKV_NO_LEADER", undefined, { cause: err });
    }
  }

  #electionTimeoutMs(): number {
    return this.#opts.timings.tickMs * this.#opts.timings.electionTicks;
  }

  async #transferAway(deadline: number): Promise<void> {
    const st = this.raft.status();
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const [id, pr] of st.progress ?? []) {
      if (id === this.memberId || pr.learner) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === NONE) return;
    this.#log.info({ to: best }, "transferring leadership before shutdown");
    this.raft.transferLeader(best);
    this.#kick();
    await this.#waitFor(() => this.raft.role !== "leader", deadline);
  }

  /** Poll a condition each tick until it holds or the deadline passes. */
  #waitFor(cond: () => boolean, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve(true);
        else if (Date.now() >= deadline) resolve(false);
        else setTimeout(check, Math.max(1, Math.floor(this.#opts.timings.tickMs / 4)));
      };
      check();
    });
  }

  #notifyIdle(): void {
    const fns = this.#loopIdle.splice(0);
    for (const fn of fns) fn();
  }
}

// Placeholder import kept at the bottom so the file reads top-down.
import {
  type CommandRequests,
  type CommittedEntry,
  decodeCommand,
  encodeCommand,
  encodeCommandFromBytes,
  type KvError,
  type KvResult,
  type RequestId,
} from "../kv/index.js";
import { AttributePublisher, isMemberAttributesEntry } from "./publish.js";

const EMPTY = new Uint8Array(0);

/** Committed entries handed to the state machine but not yet applied, before the loop waits. */
const MAX_APPLY_BACKLOG_ENTRIES = 8192;

/** Bytes of entry data (what snapshotBytes and snapshotCatchUpBytes count). */
function dataBytes(entries: readonly Entry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += e.data.byteLength;
  return bytes;
}

/**
 * Appends `next` to `acc` as a later write would land: an entry at an index already in `acc`
 * replaces it and everything after it.
 */
function appendReplacing(acc: Entry[], next: readonly Entry[]): void {
  const first = next[0];
  if (first === undefined) return;
  const base = acc[0];
  if (base !== undefined && first.index <= acc[acc.length - 1]!.index) {
    acc.length = Math.max(0, first.index - base.index);
  }
  for (const e of next) acc.push(e);
}
