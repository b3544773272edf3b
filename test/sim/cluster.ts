// A simulated cluster: N Raft cores, each with a durable MemoryStorage and a durable state
// machine, driven exactly as the real node drives its core (ready → send no-wait messages →
// persist → send → apply → advance), over the simulated network. Every Ready goes through the
// checker. Used both by the seeded random simulation and by the scripted scenario tests.

import {
  bootstrap,
  decodeConfChange,
  MemoryStorage,
  type PlantedBugs,
  Raft,
  RaftError,
  type RaftErrorCode,
} from "../../src/raft/index.js";
import type { ConfChange, Entry, HardState, Message, NodeId, Ready, Status } from "../../src/raft/types.js";
import { type CheckedNode, Checker, SafetyViolation } from "./checker.js";
import type { InFlight, SimNetwork } from "./network.js";
import { derivedPrng, type Prng } from "./prng.js";
import { decodeStateMachineImage, SimStateMachine } from "./state-machine.js";

/** A storage write in flight (asynchronous storage writes): durable once completed. */
export interface PendingWrite {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
  /** The Ready's soft state (for the checker). */
  readonly role: Ready["role"];
  readonly term: number;
  /** Messages to send once this write (and every earlier one) is durable. */
  readonly messages: Message[];
}

/** Asynchronous storage writes: each Ready's write completes later, in order, at seeded times. */
export interface AsyncStorage {
  readonly prng: Prng;
  /** Probability per time unit that a node's oldest pending write completes. */
  readonly completeChance: number;
}

/** Where a crash strikes while a node handles a Ready (or "now", between two steps). */
export type CrashPoint = "now" | "beforePersist" | "afterPersist";

export interface CoreOptions {
  electionTicks?: number;
  heartbeatTicks?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxInflightMsgs?: number;
  maxMsgBytes?: number;
  maxUncommittedBytes?: number;
  plantedBugs?: PlantedBugs;
}

export interface ClusterOptions {
  seed: number;
  clusterId: number;
  /** Bootstrapped voters (each starts with the bootstrap log). */
  voters: readonly NodeId[];
  /** Scenario hook: start these nodes on hand-made durable logs instead of bootstrapping. */
  storages?: ReadonlyMap<NodeId, MemoryStorage>;
  core: CoreOptions;
  network: SimNetwork;
  /** Prints a trace line; undefined = no tracing (the fast path builds no strings). */
  trace?: ((line: string) => void) | undefined;
  /** Off: only end-to-end safety properties are checked (see Checker). */
  ruleChecks?: boolean;
  /** Scenario hook: drop a message at delivery when this returns true. */
  dropIf?: ((m: Message) => boolean) | undefined;
  /** Drive the cores as src/node does: writes complete later, out of step with the loop. */
  asyncStorage?: AsyncStorage | undefined;
}

export type Phase = "fault" | "liveness";

export interface ProposalRecord {
  readonly id: number;
  readonly nodeId: NodeId;
  readonly phase: Phase;
  /** propose() was called on a node that was leader and did not throw. */
  readonly acceptedByLeader: boolean;
  /** The core refused it (a typed error): known dropped. */
  refusedCode: RaftErrorCode | null;
  /** First index at which some node applied it (0 = never). */
  committedIndex: number;
}

export interface ReadRecord {
  readonly key: string;
  readonly ctx: Uint8Array;
  readonly nodeId: NodeId;
  readonly phase: Phase;
  refusedCode: RaftErrorCode | null;
  answeredIndex: number;
}

/**
 * Input that reached a paused node and waits for it: a message (held in the socket), a client or
 * operator request, or a transport callback (a failed send reported to the sender). `source`
 * names the stream it came on: one per peer connection, "client" and "transport".
 */
export type Backlogged =
  | { readonly source: string; readonly item: InFlight }
  | { readonly source: string; readonly what: string; readonly run: () => void };

export class SimNode implements CheckedNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly sm = new SimStateMachine();
  raft: Raft | null = null;
  incarnation = 0;
  pendingCrash: CrashPoint | null = null;
  /** Paused (SIGSTOP): no ticks, no input, no Ready handled; input waits in `backlog`. */
  paused = false;
  backlog: Backlogged[] = [];
  /** Asynchronous storage: writes handed out by Readies and not yet durable, oldest first. */
  pendingWrites: PendingWrite[] = [];

  pendingTerm(i: number): number | undefined {
    for (let k = this.pendingWrites.length - 1; k >= 0; k--) {
      const entries = this.pendingWrites[k]!.entries;
      const first = entries[0];
      if (first === undefined || first.index > i) continue;
      // A write replaces everything after its first entry.
      return entries[i - first.index]?.term ?? 0;
    }
    return undefined;
  }

  constructor(id: NodeId, storage: MemoryStorage) {
    this.id = id;
    this.storage = storage;
  }

  get alive(): boolean {
    return this.raft !== null;
  }

  /** The live core; throws when the node is down (a simulator bug, not a Raft one). */
  get core(): Raft {
    if (this.raft === null) throw new Error(`node ${this.id} is down`);
    return this.raft;
  }
}

const PROPOSAL_TAG = 0x70;
const READ_TAG = 0x72;
const BATCH_READY_LIMIT = 10_000;

/** Proposal payload: tag, id (u32), then filler to vary entry sizes. */
export function encodeProposal(id: number, fillerBytes: number): Uint8Array {
  const out = new Uint8Array(5 + fillerBytes);
  out[0] = PROPOSAL_TAG;
  new DataView(out.buffer).setUint32(1, id);
  for (let i = 5; i < out.length; i++) out[i] = (id + i) & 0xff;
  return out;
}

export function decodeProposalId(data: Uint8Array): number | null {
  if (data.byteLength < 5 || data[0] !== PROPOSAL_TAG) return null;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
}

function contextKey(ctx: Uint8Array): string {
  return Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString("latin1");
}

export function describeMessage(m: Message): string {
  let s = `${m.type} ${m.from}->${m.to} t${m.term}`;
  if (m.type === "app") s += ` prev=${m.index}/${m.logTerm} n=${m.entries.length} c=${m.commit}`;
  else if (m.type === "appResp") s += m.reject ? ` reject ${m.index} hint=${m.rejectHint}` : ` ok ${m.index}`;
  else if (m.type === "vote" || m.type === "preVote") s += ` last=${m.index}/${m.logTerm}`;
  else if (m.type.endsWith("Resp") && m.reject) s += " reject";
  else if (m.type === "snap" && m.snapshot !== null)
    s += ` snap=${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
  else if (m.type === "heartbeat") s += ` c=${m.commit}`;
  return s;
}

export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly checker: Checker;
  readonly network: SimNetwork;
  readonly proposals: ProposalRecord[] = [];
  readonly reads = new Map<string, ReadRecord>();
  readonly #opts: ClusterOptions;
  readonly #trace: ((line: string) => void) | undefined;
  now = 0;
  phase: Phase = "fault";
  /** Nodes whose Ready is to be handled at the end of the current time unit. */
  readonly #dirty = new Set<NodeId>();
  #readCounter = 0;
  #failedSnapshots: { m: Message; incarnation: number }[] = [];
  /** Observer for fault injection (e.g. cut off a leader right after it is elected). */
  onBecameLeader: ((id: NodeId, term: number) => void) | undefined;
  readonly counters = {
    crashes: 0,
    restarts: 0,
    snapshotsSent: 0,
    snapshotsInstalled: 0,
    compactions: 0,
    foreignInjected: 0,
    pauses: 0,
    heldMessages: 0,
    confChangesAccepted: 0,
    confChangesApplied: 0,
    transfersRequested: 0,
    timeoutNowDelivered: 0,
  };

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
    this.#trace = opts.trace;
    this.network = opts.network;
    this.checker = new Checker(decodeConfChange, { ruleChecks: opts.ruleChecks ?? true });
    for (const id of opts.voters) {
      let storage = opts.storages?.get(id);
      if (storage === undefined) {
        storage = new MemoryStorage();
        bootstrap(storage, opts.voters);
      }
      this.#addNode(id, storage);
    }
  }

  get clusterId(): number {
    return this.#opts.clusterId;
  }

  set dropIf(f: ((m: Message) => boolean) | undefined) {
    this.#opts.dropIf = f;
  }

  trace(make: () => string): void {
    if (this.#trace !== undefined) this.#trace(`${String(this.now).padStart(6)} ${make()}`);
  }

  /** A node that joins later: empty storage, learns everything from the leader. */
  addEmptyNode(id: NodeId): SimNode {
    return this.#addNode(id, new MemoryStorage());
  }

  #addNode(id: NodeId, storage: MemoryStorage): SimNode {
    const node = new SimNode(id, storage);
    this.nodes.set(id, node);
    const { voters, learners } = storage.snapshot().meta.confState;
    this.checker.registerNode(node, { voters: [...voters], learners: [...learners] });
    this.#startCore(node);
    return node;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  #startCore(node: SimNode): void {
    node.incarnation++;
    const prng: Prng = derivedPrng(this.#opts.seed, node.id * 1009 + node.incarnation);
    node.raft = new Raft({
      id: node.id,
      clusterId: this.#opts.clusterId,
      storage: node.storage,
      random: () => prng.next(),
      applied: node.sm.appliedIndex,
      ...this.#opts.core,
      onStateChange: (s) => {
        this.trace(() => `n${node.id} ${s.role} term=${s.term} leader=${s.leaderId}`);
        this.checker.onStateChange(node.id, s);
        if (s.role === "leader") this.onBecameLeader?.(node.id, s.term);
      },
    });
  }

  // ------------------------------------------------------------------ crash and restart

  crash(id: NodeId): void {
    const node = this.node(id);
    if (!node.alive) return;
    this.trace(() => `n${id} CRASH${node.paused ? ` (paused, ${node.backlog.length} inputs lost)` : ""}`);
    node.raft = null;
    node.pendingCrash = null;
    // Writes in flight are lost with the process.
    node.pendingWrites = [];
    this.#dirty.delete(id);
    // A paused process killed: what waited in its sockets is gone, and the senders' transports
    // see the connections fail (as for a message to a node that is down).
    const backlog = node.backlog;
    node.paused = false;
    node.backlog = [];
    for (const b of backlog) if ("item" in b) this.#reportFailure(b.item.message, b.item.senderIncarnation);
    this.checker.onCrash(id);
    this.counters.crashes++;
  }

  /** Restart on the durable stores. The state machine is durable and applied atomically per
   *  Ready, so the core restarts with applied = the machine's index; a durable snapshot newer
   *  than the machine (crash between persist and apply) is restored into it first. */
  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.alive) return;
    const snap = node.storage.snapshot();
    if (snap.meta.index > node.sm.appliedIndex) {
      this.checker.checkRestore(node, snap);
      node.sm.restore(this.#imageOf(node, snap.data));
    }
    this.#startCore(node);
    const st = node.core.status();
    this.trace(() => `n${id} RESTART term=${st.term} commit=${st.commitIndex} applied=${st.appliedIndex}`);
    this.checker.onRestart(id, st);
    this.checker.checkRestartConf(node, st.confState);
    this.counters.restarts++;
  }

  #imageOf(node: SimNode, data: Uint8Array) {
    const image = decodeStateMachineImage(data);
    if (image === null)
      throw new SafetyViolation("stateMachineSafety", `node ${node.id} got a foreign snapshot`);
    return image;
  }

  // ------------------------------------------------------------------ pause and resume

  /** SIGSTOP: the node stops ticking and processing; what reaches it waits in its backlog. */
  pause(id: NodeId): void {
    const node = this.node(id);
    if (!node.alive || node.paused) return;
    node.paused = true;
    this.counters.pauses++;
    this.trace(() => `n${id} PAUSE`);
  }

  /** SIGCONT: the node runs again; returns its backlog (arrival order) for the caller to
   *  process with `processBacklogged`, in the order the resumed event loop would. */
  resume(id: NodeId): Backlogged[] {
    const node = this.node(id);
    if (!node.paused) return [];
    const backlog = node.backlog;
    node.paused = false;
    node.backlog = [];
    this.trace(() => `n${id} RESUME (${backlog.length} inputs waiting)`);
    return backlog;
  }

  /** Process one input a resumed node found waiting (the caller handles the Ready). */
  processBacklogged(id: NodeId, b: Backlogged): void {
    if ("run" in b) {
      b.run();
      return;
    }
    const m = b.item.message;
    if (!this.deliver(m)) {
      this.trace(() => `drop ${describeMessage(m)} (held by n${id})`);
      this.#reportFailure(m, b.item.senderIncarnation);
    } else if (m.type === "snap") this.#reportSnapshot(m, b.item.senderIncarnation, true);
  }

  /** Run `f` on the node's event loop: now, or when it resumes if it is paused. */
  #onLoop(id: NodeId, source: string, what: () => string, f: () => void): void {
    const node = this.node(id);
    if (!node.paused) {
      f();
      return;
    }
    const text = what();
    node.backlog.push({ source, what: text, run: () => (node.alive ? f() : undefined) });
    this.trace(() => `n${id} paused: ${text} waits`);
  }

  // ------------------------------------------------------------------ inputs

  tick(id: NodeId): void {
    this.node(id).core.tick();
  }

  /** Deliver one message now (the caller handles the Ready). Returns false if dropped. */
  deliver(m: Message): boolean {
    const node = this.nodes.get(m.to);
    if (node === undefined || node.raft === null) return false;
    if (this.#opts.dropIf?.(m) === true) return false;
    this.trace(() => `deliver ${describeMessage(m)}`);
    if (m.type === "timeoutNow") this.counters.timeoutNowDelivered++;
    node.raft.step(m);
    return true;
  }

  /** A message from another cluster must be dropped and counted, changing nothing. */
  injectForeign(m: Message, otherClusterId: number): void {
    const node = this.nodes.get(m.to);
    if (node === undefined || node.raft === null || node.paused) return;
    const before = node.raft.status();
    node.raft.step({ ...m, clusterId: otherClusterId });
    const after = node.raft.status();
    this.counters.foreignInjected++;
    if (after.rejectedForeign !== before.rejectedForeign + 1 || after.term !== before.term) {
      throw new SafetyViolation(
        "readyContract",
        `node ${m.to} did not reject a message from cluster ${otherClusterId} (${describeMessage(m)})`,
      );
    }
  }

  propose(id: NodeId, fillerBytes = 0): ProposalRecord {
    if (!this.node(id).alive) throw new Error(`node ${id} is down`);
    const record: ProposalRecord = {
      id: this.proposals.length + 1,
      nodeId: id,
      phase: this.phase,
      acceptedByLeader: false,
      refusedCode: null,
      committedIndex: 0,
    };
    this.proposals.push(record);
    this.#onLoop(
      id,
      "client",
      () => `propose #${record.id}`,
      () => {
        const core = this.node(id).core;
        const wasLeader = core.role === "leader";
        const code = this.#callCore(() => core.propose(encodeProposal(record.id, fillerBytes)));
        if (code !== null) record.refusedCode = code;
        else (record as { acceptedByLeader: boolean }).acceptedByLeader = wasLeader;
        this.trace(() => `n${id} propose #${record.id} ${code ?? (wasLeader ? "accepted" : "forwarded")}`);
      },
    );
    return record;
  }

  /** A client read, issued now (what it must see is fixed now), even if the node is paused. */
  readIndex(id: NodeId): ReadRecord {
    if (!this.node(id).alive) throw new Error(`node ${id} is down`);
    const ctx = new Uint8Array(9);
    ctx[0] = READ_TAG;
    const view = new DataView(ctx.buffer);
    view.setUint32(1, id);
    view.setUint32(5, ++this.#readCounter);
    const key = contextKey(ctx);
    const record: ReadRecord = {
      key,
      ctx,
      nodeId: id,
      phase: this.phase,
      refusedCode: null,
      answeredIndex: 0,
    };
    this.reads.set(key, record);
    this.#readsByNode.set(id, [...(this.#readsByNode.get(id) ?? []).slice(-7), record]);
    this.checker.onReadIssued(id, key);
    const n = this.#readCounter;
    this.#onLoop(
      id,
      "client",
      () => `readIndex #${n}`,
      () => {
        record.refusedCode = this.#callCore(() => this.node(id).core.readIndex(ctx));
        this.trace(() => `n${id} readIndex #${n} ${record.refusedCode ?? ""}`);
      },
    );
    return record;
  }

  /** The node's last few reads, oldest first (candidates for a re-issue). */
  recentReads(id: NodeId): readonly ReadRecord[] {
    return this.#readsByNode.get(id) ?? [];
  }

  /**
   * Asks again under an earlier read's context, as the node does when an answer seems lost
   * (src/node: a read unanswered after an election timeout is re-issued). The answer still
   * counts against the read's first issue: it must not be older than what was committed then.
   */
  reissueRead(record: ReadRecord): void {
    const code = this.#callCore(() => this.node(record.nodeId).core.readIndex(record.ctx));
    this.trace(() => `n${record.nodeId} re-issue read ${record.key} ${code ?? ""}`);
  }

  readonly #readsByNode = new Map<NodeId, ReadRecord[]>();

  /** Returns the core's refusal, or null (also when a paused node queued the request). */
  proposeConfChange(id: NodeId, cc: ConfChange): RaftErrorCode | null {
    let code: RaftErrorCode | null = null;
    this.#onLoop(
      id,
      "client",
      () => `confChange ${cc.type} ${cc.nodeId}`,
      () => {
        code = this.#callCore(() => this.node(id).core.proposeConfChange(cc));
        this.trace(() => `n${id} confChange ${cc.type} ${cc.nodeId} ${code ?? "accepted"}`);
        if (code === null) this.counters.confChangesAccepted++;
      },
    );
    return code;
  }

  transferLeader(id: NodeId, target: NodeId): void {
    this.#onLoop(
      id,
      "client",
      () => `transferLeader -> ${target}`,
      () => {
        this.trace(() => `n${id} transferLeader -> ${target}`);
        this.counters.transfersRequested++;
        this.node(id).core.transferLeader(target);
      },
    );
  }

  /** The application snapshots its state machine at the applied index and lets the core
   *  compact the log behind it (keeping `retainEntries` for slow followers). */
  compact(id: NodeId, retainEntries = 0): boolean {
    const node = this.node(id);
    if (node.paused) return false;
    if (node.sm.appliedIndex <= node.storage.snapshot().meta.index) return false;
    this.trace(() => `n${id} compact at ${node.sm.appliedIndex} retain ${retainEntries}`);
    node.core.compact(node.sm.appliedIndex, node.sm.serialize(), retainEntries);
    this.counters.compactions++;
    return true;
  }

  /** Expected refusals are typed RaftErrors (returned as codes); anything else is a bug. */
  #callCore(f: () => void): RaftErrorCode | null {
    try {
      f();
      return null;
    } catch (err) {
      if (err instanceof RaftError) return err.code;
      throw err;
    }
  }

  // ------------------------------------------------------------------ the driver

  markDirty(id: NodeId): void {
    this.#dirty.add(id);
  }

  /** Handle the Readies of every node marked dirty, in id order (deterministic). */
  flushDirty(): void {
    if (this.#dirty.size === 0) return;
    const ids = [...this.#dirty].sort((a, b) => a - b);
    this.#dirty.clear();
    for (const id of ids) this.handleReady(id);
  }

  /** Run the driver protocol until the core has nothing more to hand out. */
  handleReady(id: NodeId): void {
    const node = this.node(id);
    // A paused node's Ready waits (it may hold answers already released by the core).
    if (node.paused) return;
    for (let round = 0; node.raft?.hasReady() === true; round++) {
      if (round >= BATCH_READY_LIMIT) {
        throw new SafetyViolation("readyContract", `node ${id} keeps reporting hasReady()`);
      }
      this.#handleOneReady(node, node.raft.ready());
    }
  }

  #handleOneReady(node: SimNode, rd: Ready): void {
    if (this.#opts.asyncStorage !== undefined) {
      this.#handleOneReadyAsync(node, rd);
      return;
    }
    const raft = node.core;
    this.checker.checkReady(node, rd);
    for (const m of rd.messagesNoWait) this.#send(node, m);
    if (node.pendingCrash === "beforePersist") {
      this.crash(node.id);
      return;
    }
    this.#persist(node, rd);
    this.checker.afterPersist(node);
    if (node.pendingCrash === "afterPersist") {
      this.crash(node.id);
      return;
    }
    for (const m of rd.messages) this.#send(node, m);
    this.#apply(node, rd);
    for (const rs of rd.readStates) this.#onReadState(node, rs.index, rs.requestCtx);
    raft.advance(rd);
    this.checker.afterAdvance(node, rd, raft.confState());
  }

  /**
   * The node's driver (src/node): send the leader's messages, queue the write with the messages
   * that wait for it, apply what is committed and durable, hand the Ready back. The write
   * completes later (#completeWrite). A Ready with a snapshot waits for every earlier write and
   * is handled in one go, as src/node does.
   */
  #handleOneReadyAsync(node: SimNode, rd: Ready): void {
    const raft = node.core;
    this.checker.checkReady(node, rd);
    for (const m of rd.messagesNoWait) this.#send(node, m);
    if (node.pendingCrash === "beforePersist") {
      this.crash(node.id);
      return;
    }
    if (rd.snapshot !== null) {
      while (node.pendingWrites.length > 0) if (!this.#completeWrite(node)) return;
      this.#persist(node, rd);
      this.checker.afterPersist(node);
      if (node.pendingCrash === "afterPersist") {
        this.crash(node.id);
        return;
      }
      raft.persisted(rd);
      for (const m of rd.messages) this.#send(node, m);
    } else if (rd.entries.length > 0 || rd.hardState !== null) {
      node.pendingWrites.push({
        entries: rd.entries,
        hardState: rd.hardState,
        role: rd.role,
        term: rd.term,
        messages: [...rd.messages],
      });
    } else if (node.pendingWrites.length > 0) {
      node.pendingWrites[node.pendingWrites.length - 1]!.messages.push(...rd.messages);
    } else {
      for (const m of rd.messages) this.#send(node, m);
    }
    this.#apply(node, rd);
    for (const rs of rd.readStates) this.#onReadState(node, rs.index, rs.requestCtx);
    raft.acceptReady(rd);
    this.checker.afterAdvance(node, rd, raft.confState());
  }

  /**
   * The oldest pending write of the node becomes durable; its messages go out and the core hears
   * of it. Returns false when the node crashed at that point.
   */
  #completeWrite(node: SimNode): boolean {
    const w = node.pendingWrites.shift();
    if (w === undefined) return true;
    const storage = node.storage;
    if (w.entries.length > 0) {
      const asReady = { ...w, snapshot: null, committed: [], readStates: [] } as unknown as Ready;
      this.checker.checkEntries(node, asReady);
      storage.append(w.entries);
    }
    if (w.hardState !== null) {
      this.checker.checkHardState(node, w.hardState);
      storage.setHardState(w.hardState);
    }
    this.checker.afterPersist(node);
    if (node.pendingCrash === "afterPersist") {
      this.crash(node.id);
      return false;
    }
    for (const m of w.messages) this.#send(node, m);
    node.core.persisted({ snapshot: null, entries: w.entries });
    return true;
  }

  /** Asynchronous storage: complete pending writes at seeded times (not while paused). */
  completeWrites(): void {
    const a = this.#opts.asyncStorage;
    if (a === undefined) return;
    for (const node of this.nodes.values()) {
      if (!node.alive || node.paused || node.pendingWrites.length === 0) continue;
      if (!a.prng.chance(a.completeChance)) continue;
      // Sometimes several complete together (one fsync covering them).
      const n = a.prng.chance(0.3) ? node.pendingWrites.length : 1;
      for (let k = 0; k < n && node.alive; k++) if (!this.#completeWrite(node)) break;
      if (node.alive) this.markDirty(node.id);
    }
  }

  #send(node: SimNode, m: Message): void {
    if (m.to === node.id || m.from !== node.id || m.clusterId !== this.#opts.clusterId) {
      throw new SafetyViolation(
        "readyContract",
        `node ${node.id} emits a malformed message ${describeMessage(m)}`,
      );
    }
    this.checker.checkSend(node, m);
    if (m.type === "snap") this.counters.snapshotsSent++;
    if (!this.network.send(m, this.now, node.incarnation) && m.type === "snap") {
      // A snapshot travels on its own stream, whose failure the transport sees and reports;
      // the report is delivered with the next time unit, not in the middle of this Ready.
      this.#failedSnapshots.push({ m, incarnation: node.incarnation });
    }
  }

  #persist(node: SimNode, rd: Ready): void {
    const storage = node.storage;
    if (rd.snapshot !== null) {
      this.checker.checkSnapshot(node, rd.snapshot);
      storage.applySnapshot(rd.snapshot);
    }
    if (rd.entries.length > 0) {
      this.checker.checkEntries(node, rd);
      storage.append(rd.entries);
    }
    if (rd.hardState !== null) {
      this.checker.checkHardState(node, rd.hardState);
      storage.setHardState(rd.hardState);
    }
  }

  #apply(node: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      this.checker.checkRestore(node, rd.snapshot);
      node.sm.restore(this.#imageOf(node, rd.snapshot.data));
      this.counters.snapshotsInstalled++;
      this.trace(() => `n${node.id} restored snapshot ${rd.snapshot?.meta.index}`);
    }
    for (const e of rd.committed) {
      this.checker.checkApply(node, e);
      node.sm.apply(e);
      this.checker.afterApply(node, e.index);
      if (e.type !== "normal") {
        this.counters.confChangesApplied++;
        continue;
      }
      const pid = decodeProposalId(e.data);
      const record = pid === null ? undefined : this.proposals[pid - 1];
      if (record !== undefined && record.committedIndex === 0) record.committedIndex = e.index;
    }
  }

  #onReadState(node: SimNode, index: number, ctx: Uint8Array): void {
    const key = contextKey(ctx);
    this.checker.checkReadState(node, { index, requestCtx: ctx }, key);
    const record = this.reads.get(key);
    if (record !== undefined && record.answeredIndex === 0) record.answeredIndex = index;
    this.trace(() => `n${node.id} readState index=${index}`);
  }

  // ------------------------------------------------------------------ network glue

  /** Deliver every message due by `now`. `eager(id)` says whether to handle the receiver's
   *  Ready at once (true) or batch it until flushDirty (false). */
  deliverDue(eager: (id: NodeId) => boolean): void {
    if (this.#failedSnapshots.length > 0) {
      const failed = this.#failedSnapshots;
      this.#failedSnapshots = [];
      for (const f of failed) this.#reportSnapshot(f.m, f.incarnation, false);
    }
    for (let next = this.network.popDue(this.now); next !== undefined; next = this.network.popDue(this.now)) {
      const { item, blocked } = next;
      const m = item.message;
      const receiver = blocked ? undefined : this.nodes.get(m.to);
      if (receiver?.paused === true) {
        receiver.backlog.push({ source: `n${m.from}`, item });
        this.counters.heldMessages++;
        this.trace(() => `hold ${describeMessage(m)} (n${m.to} paused)`);
        continue;
      }
      if (blocked || !this.deliver(m)) {
        this.trace(() => `drop ${describeMessage(m)}${blocked ? " (partition)" : ""}`);
        this.#reportFailure(m, item.senderIncarnation);
        continue;
      }
      if (m.type === "snap") this.#reportSnapshot(m, item.senderIncarnation, true);
      if (eager(m.to)) this.handleReady(m.to);
      else this.markDirty(m.to);
    }
  }

  /** What the transport tells the sender when a send fails (as a gRPC stream error would). */
  #reportFailure(m: Message, senderIncarnation: number): void {
    if (m.type === "snap") this.#reportSnapshot(m, senderIncarnation, false);
    else if (m.type === "app") {
      const sender = this.nodes.get(m.from);
      if (sender?.raft == null || sender.incarnation !== senderIncarnation) return;
      this.#onLoop(
        sender.id,
        "transport",
        () => `unreachable ${m.to}`,
        () => {
          if (sender.incarnation !== senderIncarnation) return;
          sender.core.reportUnreachable(m.to);
          this.markDirty(sender.id);
        },
      );
    }
  }

  #reportSnapshot(m: Message, senderIncarnation: number, ok: boolean): void {
    const sender = this.nodes.get(m.from);
    if (sender?.raft == null || sender.incarnation !== senderIncarnation) return;
    this.#onLoop(
      sender.id,
      "transport",
      () => `snapshot to ${m.to} ${ok ? "done" : "failed"}`,
      () => {
        if (sender.incarnation !== senderIncarnation) return;
        sender.core.reportSnapshot(m.to, ok);
        this.markDirty(sender.id);
      },
    );
  }

  // ------------------------------------------------------------------ observation

  status(id: NodeId): Status {
    return this.node(id).core.status();
  }

  aliveIds(): NodeId[] {
    const out: NodeId[] = [];
    for (const n of this.nodes.values()) if (n.alive) out.push(n.id);
    return out;
  }

  /** Live nodes that believe they lead, with their terms. */
  leaders(): { id: NodeId; term: number }[] {
    const out: { id: NodeId; term: number }[] = [];
    for (const n of this.nodes.values()) {
      if (n.raft !== null && n.raft.role === "leader") out.push({ id: n.id, term: n.raft.term });
    }
    return out;
  }
}
