// Safety checks for the simulator, run incrementally as the driver processes each Ready, so
// that a violation is reported at the step that causes it and no step copies whole logs.
//
// What "committed" means here: an index is known committed once any node exposes a commit
// index at or above it (a Ready's hard state). The simulator can only check what some node
// knows, which is exactly what clients can observe.

import type { MemoryStorage } from "../../src/raft/storage.js";
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
} from "../../src/raft/types.js";
import { decodeStateMachineImage, entryContentHash, type SimStateMachine } from "./state-machine.js";

export type CheckName =
  /** At most one leader per term (paper 5.2). */
  | "electionSafety"
  /** Same index and term imply the same entry and the same log before it (paper 5.3). */
  | "logMatching"
  /** A leader's log holds every entry committed in earlier terms (paper 5.4). */
  | "leaderCompleteness"
  /** No two nodes apply different entries at one index (paper 5.4.3). */
  | "stateMachineSafety"
  /** A committed entry stays durable on a majority and is never overwritten, crashes included. */
  | "committedEntryLost"
  /** A read index is never below the commit index known when the read began (thesis 6.4). */
  | "linearizableRead"
  /** The core's configuration is what its applied log says; one change in flight at a time. */
  | "configSafety"
  /** A node votes at most once per term, crashes included (paper Figure 2). */
  | "voteOnce"
  /** Votes and append acknowledgements describe durable state only (paper 5.6, thesis 10.2.1). */
  | "durableBeforeAck"
  /** A leader commits by counting replicas only entries of its own term (paper 5.4.2). */
  | "leaderCommitRule"
  /** Each index is applied exactly once, in order, and only after it is committed and durable. */
  | "appliedOnce"
  /** Structural rules of the Ready contract (contiguous entries, monotonic terms, ...). */
  | "readyContract";

export class SafetyViolation extends Error {
  readonly check: CheckName;
  constructor(check: CheckName, message: string) {
    super(`[${check}] ${message}`);
    this.name = "SafetyViolation";
    this.check = check;
  }
}

/** What the checker needs to see of a simulated node: its durable stores. */
export interface CheckedNode {
  readonly id: NodeId;
  /** The durable Raft store (what survives a crash). */
  readonly storage: MemoryStorage;
  /** The durable state machine. */
  readonly sm: SimStateMachine;
  /**
   * Term of entry i in a write handed out but not yet durable (asynchronous storage writes),
   * newest write first; undefined when no pending write holds it.
   */
  pendingTerm?(i: number): number | undefined;
}

/** A membership configuration as the checker models it, independently of the core. */
export interface ModelConf {
  voters: NodeId[];
  learners: NodeId[];
}

/** The model of how a conf change entry changes a configuration (mirrors the documented
 *  semantics: addVoter adds or promotes, addLearner adds a non-member, removeNode removes). */
export function applyConfChangeModel(conf: ModelConf, cc: ConfChange): ModelConf {
  const id = cc.nodeId;
  const isVoter = conf.voters.includes(id);
  const isLearner = conf.learners.includes(id);
  switch (cc.type) {
    case "addVoter":
      if (isVoter) return conf;
      return { voters: [...conf.voters, id], learners: conf.learners.filter((x) => x !== id) };
    case "addLearner":
      if (isVoter || isLearner) return conf;
      return { voters: conf.voters, learners: [...conf.learners, id] };
    case "removeNode":
      return { voters: conf.voters.filter((x) => x !== id), learners: conf.learners.filter((x) => x !== id) };
  }
}

export function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  for (const x of a) if (!b.includes(x)) return false;
  return true;
}

/** Per-node bookkeeping; survives crashes exactly as the durable stores do where it mirrors them. */
class NodeTrack {
  readonly node: CheckedNode;
  alive = true;
  /** In-memory role and term of the current incarnation (from onStateChange). */
  role: Role = "follower";
  term = 0;
  /** Leadership whose log has not been checked for completeness yet (0 = none). */
  leaderTermPending = 0;
  /** Leadership whose log was checked; later commits are checked against it too. */
  leaderTermVerified = 0;
  lastReadyRole: Role = "follower";
  lastReadyTerm = 0;
  lastReadyCommit = 0;
  /** The configuration the applied log defines (mirrors the durable state machine). */
  conf: ModelConf = { voters: [], learners: [] };
  /** Indexes of confChange entries in the durable log, ascending. */
  confIndexes: number[] = [];

  constructor(node: CheckedNode) {
    this.node = node;
  }
}

interface EntryRecord {
  readonly term: number;
  readonly contentHash: number;
  /** Term of the entry before it in the log that holds it (0 at index 1). */
  readonly prevTerm: number;
}

interface IssuedRead {
  readonly nodeId: NodeId;
  readonly minIndex: number;
}

/** Term at index i in a node's durable log: undefined when compacted, 0 when absent. */
function durableTerm(storage: MemoryStorage, i: number): number | undefined {
  const offset = storage.firstIndex() - 1;
  if (i < offset) return undefined;
  if (i > storage.lastIndex()) return 0;
  return storage.term(i);
}

function readyHasConfChange(rd: Ready): boolean {
  for (const e of rd.committed) if (e.type === "confChange") return true;
  return false;
}

export class Checker {
  readonly #tracks = new Map<NodeId, NodeTrack>();
  readonly #leaders = new Map<number, NodeId>();
  /** logRecords[i]: the distinct (term, content) pairs ever written at index i by any node. */
  readonly #logRecords: (EntryRecord[] | undefined)[] = [];
  /** committedTerm[i]: term of the committed entry at i (0 = not known yet). */
  readonly #committedTerm: number[] = [];
  /** commitTermAt[i]: term of the node that first exposed i as committed: leaders of later
   *  terms must hold the entry (an entry of term 1 may be committed in term 3; the leader
   *  of term 2 need not hold it). */
  readonly #commitTermAt: number[] = [];
  /** appliedHash[i]: content hash of the entry applied at i (first application wins). */
  readonly #appliedHash: (number | undefined)[] = [];
  /** chainAt[i]: the state machine's chain hash after applying index i. */
  readonly #chainAt: (number | undefined)[] = [];
  readonly #reads = new Map<string, IssuedRead>();
  readonly #decodeConfChange: (data: Uint8Array) => ConfChange;
  #globalCommit = 0;
  /** Counters for reports. */
  readonly stats = { readStates: 0, applied: 0, leaderChecks: 0, commitChecks: 0 };

  /** Rule checks (voteOnce, durableBeforeAck, leaderCommitRule) catch a broken rule at the
   *  step that breaks it; turning them off leaves only the end-to-end properties, to measure
   *  how long a bug takes to surface as a visible safety violation. */
  readonly #ruleChecks: boolean;

  constructor(decodeConfChange: (data: Uint8Array) => ConfChange, opts: { ruleChecks?: boolean } = {}) {
    this.#decodeConfChange = decodeConfChange;
    this.#ruleChecks = opts.ruleChecks ?? true;
  }

  get globalCommit(): number {
    return this.#globalCommit;
  }

  /** A node enters the simulation with whatever its durable stores hold (bootstrap, or a
   *  scenario's hand-made log). Everything up to its durable commit counts as committed. */
  registerNode(node: CheckedNode, conf: ModelConf): void {
    const track = new NodeTrack(node);
    track.conf = conf;
    const storage = node.storage;
    const first = storage.firstIndex();
    for (let i = first; i <= storage.lastIndex(); i++) {
      if (
        storage.term(i) > 0 &&
        storage.entries(i, i + 1, Number.POSITIVE_INFINITY)[0]?.type === "confChange"
      ) {
        track.confIndexes.push(i);
      }
    }
    const commit = storage.hardState().commit;
    for (let i = Math.max(first, this.#globalCommit + 1); i <= commit; i++) {
      this.#committedTerm[i] = storage.term(i);
      this.#commitTermAt[i] = storage.hardState().term;
    }
    this.#globalCommit = Math.max(this.#globalCommit, commit);
    track.lastReadyCommit = commit;
    track.lastReadyTerm = storage.hardState().term;
    this.#tracks.set(node.id, track);
  }

  #track(id: NodeId): NodeTrack {
    const t = this.#tracks.get(id);
    if (t === undefined) throw new Error(`checker: unknown node ${id}`);
    return t;
  }

  // ------------------------------------------------------------------ lifecycle

  onStateChange(id: NodeId, s: { role: Role; term: number; leaderId: NodeId }): void {
    const t = this.#track(id);
    t.role = s.role;
    t.term = s.term;
    if (s.role === "leader") {
      this.#claimLeadership(id, s.term);
      t.leaderTermPending = s.term;
    } else {
      t.leaderTermPending = 0;
      t.leaderTermVerified = 0;
      if (s.role === "follower" && s.leaderId !== 0) this.#checkFollowedLeader(id, s.term, s.leaderId);
    }
  }

  #claimLeadership(id: NodeId, term: number): void {
    const other = this.#leaders.get(term);
    if (other !== undefined && other !== id) {
      throw new SafetyViolation(
        "electionSafety",
        `nodes ${other} and ${id} are both leaders of term ${term}`,
      );
    }
    this.#leaders.set(term, id);
  }

  #checkFollowedLeader(id: NodeId, term: number, leaderId: NodeId): void {
    const leader = this.#leaders.get(term);
    if (leader !== undefined && leader !== leaderId) {
      throw new SafetyViolation(
        "electionSafety",
        `node ${id} follows ${leaderId} in term ${term}, whose leader is ${leader}`,
      );
    }
  }

  onCrash(id: NodeId): void {
    const t = this.#track(id);
    t.alive = false;
    t.role = "follower";
    t.leaderTermPending = 0;
    t.leaderTermVerified = 0;
  }

  /** After a restart: the new incarnation must start from exactly the durable state. */
  onRestart(
    id: NodeId,
    status: { term: number; vote: NodeId; commitIndex: number; lastIndex: number },
  ): void {
    const t = this.#track(id);
    t.alive = true;
    const hs = t.node.storage.hardState();
    if (status.term !== hs.term || status.vote !== hs.vote) {
      throw new SafetyViolation(
        "voteOnce",
        `node ${id} restarted with term/vote ${status.term}/${status.vote}, durable ${hs.term}/${hs.vote}`,
      );
    }
    if (status.commitIndex < hs.commit || status.lastIndex !== t.node.storage.lastIndex()) {
      throw new SafetyViolation(
        "committedEntryLost",
        `node ${id} restarted with commit ${status.commitIndex}/last ${status.lastIndex}, ` +
          `durable commit ${hs.commit}/last ${t.node.storage.lastIndex()}`,
      );
    }
    t.lastReadyCommit = status.commitIndex;
    t.lastReadyTerm = status.term;
    t.lastReadyRole = "follower";
  }

  // ------------------------------------------------------------------ Ready, before persisting

  /** Right after ready(): nothing has been sent or persisted yet. */
  checkReady(node: CheckedNode, rd: Ready): void {
    const t = this.#track(node.id);
    const durable = node.storage.hardState();
    if (rd.term < durable.term) {
      throw new SafetyViolation(
        "readyContract",
        `node ${node.id} term ${rd.term} below durable ${durable.term}`,
      );
    }
    if (rd.role === "leader") this.#claimLeadership(node.id, rd.term);
    const commit = rd.hardState?.commit ?? t.lastReadyCommit;
    if (
      this.#ruleChecks &&
      rd.role === "leader" &&
      t.lastReadyRole === "leader" &&
      t.lastReadyTerm === rd.term
    ) {
      if (commit > t.lastReadyCommit) this.#checkLeaderCommitRule(node, rd, commit);
    }
    if (commit > this.#globalCommit) this.#onGlobalCommit(node, rd, commit);
    t.lastReadyRole = rd.role;
    t.lastReadyTerm = rd.term;
    t.lastReadyCommit = commit;
  }

  #checkLeaderCommitRule(node: CheckedNode, rd: Ready, commit: number): void {
    const term = termInReady(node, rd, commit);
    if (term !== rd.term) {
      throw new SafetyViolation(
        "leaderCommitRule",
        `leader ${node.id} of term ${rd.term} advanced commit to ${commit}, an entry of term ${term}`,
      );
    }
  }

  /** A commit index beyond anything known: the entry must be durable on a majority of the
   *  committing node's voters right now (the leader's own unpersisted write does not count). */
  #onGlobalCommit(node: CheckedNode, rd: Ready, commit: number): void {
    this.stats.commitChecks++;
    const term = termInReady(node, rd, commit);
    if (term === 0) {
      throw new SafetyViolation("readyContract", `node ${node.id} commits ${commit} beyond its last index`);
    }
    const voters = this.#track(node.id).conf.voters;
    let durableCount = 0;
    for (const v of voters) {
      const other = this.#tracks.get(v);
      if (other === undefined) continue;
      const dt = durableTerm(other.node.storage, commit);
      if (dt === undefined ? other.node.storage.snapshot().meta.index >= commit : dt === term) durableCount++;
    }
    if (durableCount <= voters.length / 2) {
      throw new SafetyViolation(
        "committedEntryLost",
        `node ${node.id} commits index ${commit} (term ${term}) durable on only ${durableCount} of voters [${voters}]`,
      );
    }
    const from = this.#globalCommit + 1;
    for (let i = from; i <= commit; i++) {
      const ti = termInReady(node, rd, i);
      if (ti !== undefined && ti > 0) this.#recordCommittedTerm(i, ti);
      this.#commitTermAt[i] = rd.term;
    }
    this.#globalCommit = commit;
    this.#checkVerifiedLeadersHold(from, commit);
  }

  #recordCommittedTerm(i: number, term: number): void {
    const known = this.#committedTerm[i];
    if (known !== undefined && known !== 0 && known !== term) {
      throw new SafetyViolation("stateMachineSafety", `index ${i} committed with terms ${known} and ${term}`);
    }
    this.#committedTerm[i] = term;
  }

  /** Entries committed (from an earlier term) after a leader was checked must be in its log too. */
  #checkVerifiedLeadersHold(from: number, to: number): void {
    for (const t of this.#tracks.values()) {
      if (!t.alive || t.leaderTermVerified === 0) continue;
      this.#checkLogHoldsCommitted(t, t.leaderTermVerified, from, to);
    }
  }

  #checkLogHoldsCommitted(t: NodeTrack, leaderTerm: number, from: number, to: number): void {
    const storage = t.node.storage;
    for (let i = from; i <= to; i++) {
      const ct = this.#committedTerm[i] ?? 0;
      if (ct === 0 || (this.#commitTermAt[i] ?? 0) >= leaderTerm) continue;
      const dt = durableTerm(storage, i);
      if (dt !== undefined && dt !== ct) {
        throw new SafetyViolation(
          "leaderCompleteness",
          `leader ${t.node.id} of term ${leaderTerm} has term ${dt} at index ${i}, committed with term ${ct}`,
        );
      }
    }
  }

  // ------------------------------------------------------------------ sending

  /** Called for each message at the moment the driver sends it. */
  checkSend(node: CheckedNode, m: Message): void {
    if (m.reject || !this.#ruleChecks) return;
    const hs = node.storage.hardState();
    if (m.type === "voteResp") {
      if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.to)) {
        throw new SafetyViolation(
          "durableBeforeAck",
          `node ${node.id} grants its term-${m.term} vote to ${m.to}, durable term/vote ${hs.term}/${hs.vote}`,
        );
      }
    } else if (m.type === "appResp" && hs.term <= m.term) {
      if (m.index > node.storage.lastIndex()) {
        throw new SafetyViolation(
          "durableBeforeAck",
          `node ${node.id} acknowledges index ${m.index} in term ${m.term}, durable last index ${node.storage.lastIndex()}`,
        );
      }
    }
  }

  // ------------------------------------------------------------------ persisting

  /** Before the driver persists a snapshot received from the leader. */
  checkSnapshot(node: CheckedNode, snap: Snapshot): void {
    const { index, term } = snap.meta;
    const ct = this.#committedTerm[index] ?? 0;
    if (index > this.#globalCommit || (ct !== 0 && ct !== term)) {
      throw new SafetyViolation(
        "stateMachineSafety",
        `node ${node.id} installs snapshot ${index}/${term}; committed up to ${this.#globalCommit}, term there ${ct}`,
      );
    }
    const image = decodeStateMachineImage(snap.data);
    const chain = this.#chainAt[index];
    if (
      image !== null &&
      (image.appliedIndex !== index || (chain !== undefined && chain !== image.chainHash))
    ) {
      throw new SafetyViolation(
        "stateMachineSafety",
        `node ${node.id} installs snapshot ${index} whose state differs from what nodes applied there`,
      );
    }
    this.#track(node.id).confIndexes = [];
  }

  /** Before the driver appends `entries` to the durable log. */
  checkEntries(node: CheckedNode, rd: Ready): void {
    const entries = rd.entries;
    if (entries.length === 0) return;
    const storage = node.storage;
    const first = entries[0]!;
    const currentTerm = Math.max(rd.hardState?.term ?? 0, storage.hardState().term);
    if (first.index < 1 || first.index > storage.lastIndex() + 1) {
      throw new SafetyViolation(
        "readyContract",
        `node ${node.id} appends at ${first.index}, durable last index ${storage.lastIndex()}`,
      );
    }
    this.#checkTruncation(node, entries, currentTerm);
    let prevTerm = first.index === 1 ? 0 : (durableTerm(storage, first.index - 1) ?? -1);
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      if (e.index !== first.index + k || e.term > currentTerm || (prevTerm >= 0 && e.term < prevTerm)) {
        throw new SafetyViolation(
          "readyContract",
          `node ${node.id} appends malformed entry ${e.index}/${e.term} (previous term ${prevTerm}, term ${currentTerm})`,
        );
      }
      if (prevTerm >= 0) this.#recordLogEntry(node, e, prevTerm);
      prevTerm = e.term;
    }
    this.#trackConfEntries(node, rd);
  }

  /** An append replaces the durable log from its first entry on: what it drops must be
   *  uncommitted, and it must drop something only where the terms conflict. An entry committed
   *  in term C (commitTermAt) is held by every leader of term C and later (leader completeness),
   *  so no append of those terms may drop it; a leader of an earlier term need not hold it, and
   *  a node still in an earlier term may take that leader's entries over it: e.g. the leader of
   *  term 11, cut off, reaches a node of term 10 after the leader of term 12 committed 47/10
   *  with a majority that term 11 never reaches again (seed 21321 of test/sim). */
  #checkTruncation(node: CheckedNode, entries: readonly Entry[], term: number): void {
    const storage = node.storage;
    const first = entries[0]!.index;
    const durableLast = storage.lastIndex();
    if (first > durableLast) return;
    const newLast = first + entries.length - 1;
    let conflict = false;
    for (let i = first; i <= Math.min(durableLast, newLast); i++) {
      const dt = durableTerm(storage, i);
      if (dt !== undefined && dt !== entries[i - first]!.term) {
        conflict = true;
        // By log matching, a node that holds any committed entry at or after i holds the
        // committed entry at i, so checking the first conflict suffices.
        const ct = i <= this.#globalCommit ? (this.#committedTerm[i] ?? 0) : 0;
        const heldInThisTerm = ct === dt && term >= (this.#commitTermAt[i] ?? 0);
        if (i <= storage.hardState().commit || heldInThisTerm) {
          throw new SafetyViolation(
            "committedEntryLost",
            `node ${node.id} overwrites ${i}/${dt} with term ${entries[i - first]!.term}; ` +
              `its durable commit is ${storage.hardState().commit}, committed term there ${ct} ` +
              `(in term ${this.#commitTermAt[i] ?? 0}; this append's term ${term})`,
          );
        }
        break;
      }
    }
    if (newLast < durableLast && !conflict) {
      throw new SafetyViolation(
        "committedEntryLost",
        `node ${node.id} rewrites [${first}, ${newLast}] unchanged and so drops durable entries up to ${durableLast}`,
      );
    }
  }

  #recordLogEntry(node: CheckedNode, e: Entry, prevTerm: number): void {
    const contentHash = entryContentHash(e);
    let records = this.#logRecords[e.index];
    if (records === undefined) {
      records = [];
      this.#logRecords[e.index] = records;
    }
    for (const r of records) {
      if (r.term !== e.term) continue;
      if (r.contentHash !== contentHash || r.prevTerm !== prevTerm) {
        throw new SafetyViolation(
          "logMatching",
          `node ${node.id} holds ${e.index}/${e.term} with ` +
            (r.contentHash !== contentHash
              ? "different content"
              : `previous term ${prevTerm} (others: ${r.prevTerm})`),
        );
      }
      return;
    }
    records.push({ term: e.term, contentHash, prevTerm });
  }

  /** Tracks conf entries in the durable log; a leader must not append a conf change while an
   *  earlier one in its log is unapplied (one change at a time, thesis 4.1). */
  #trackConfEntries(node: CheckedNode, rd: Ready): void {
    const t = this.#track(node.id);
    const first = rd.entries[0]!.index;
    while (t.confIndexes.length > 0 && t.confIndexes[t.confIndexes.length - 1]! >= first) t.confIndexes.pop();
    for (const e of rd.entries) {
      if (e.type !== "confChange") continue;
      const previous = t.confIndexes[t.confIndexes.length - 1] ?? 0;
      if (rd.role === "leader" && e.term === rd.term && previous > node.sm.appliedIndex) {
        throw new SafetyViolation(
          "configSafety",
          `leader ${node.id} appends conf change ${e.index} while conf change ${previous} is unapplied ` +
            `(applied ${node.sm.appliedIndex})`,
        );
      }
      t.confIndexes.push(e.index);
    }
  }

  /** Before the driver persists a hard state (after the Ready's entries are appended). */
  checkHardState(node: CheckedNode, hs: HardState): void {
    const durable = node.storage.hardState();
    if (hs.term < durable.term) {
      throw new SafetyViolation(
        "readyContract",
        `node ${node.id} term goes back from ${durable.term} to ${hs.term}`,
      );
    }
    if (this.#ruleChecks && hs.term === durable.term && durable.vote !== 0 && hs.vote !== durable.vote) {
      throw new SafetyViolation(
        "voteOnce",
        `node ${node.id} changes its term-${hs.term} vote from ${durable.vote} to ${hs.vote}`,
      );
    }
    if (hs.commit < durable.commit) {
      throw new SafetyViolation(
        "committedEntryLost",
        `node ${node.id} commit goes back from ${durable.commit} to ${hs.commit}`,
      );
    }
    if (hs.commit > node.storage.lastIndex()) {
      throw new SafetyViolation(
        "readyContract",
        `node ${node.id} persists commit ${hs.commit} beyond its durable last index ${node.storage.lastIndex()}`,
      );
    }
  }

  /** After the Ready is durable: a new leader's log must now hold every committed entry. */
  afterPersist(node: CheckedNode): void {
    const t = this.#track(node.id);
    if (t.leaderTermPending === 0) return;
    this.stats.leaderChecks++;
    const term = t.leaderTermPending;
    t.leaderTermPending = 0;
    // Entries up to the applied index were compared when applied and cannot be overwritten;
    // a committed index beyond the durable log reads as term 0 and fails the comparison.
    const from = Math.max(node.sm.appliedIndex + 1, node.storage.firstIndex());
    this.#checkLogHoldsCommitted(t, term, from, this.#globalCommit);
    if (t.role === "leader" && t.term === term) t.leaderTermVerified = term;
  }

  // ------------------------------------------------------------------ applying

  /** The driver restores its state machine from a snapshot (before applying entries, or at a
   *  restart that finds a durable snapshot newer than the state machine). */
  checkRestore(node: CheckedNode, snap: Snapshot): void {
    if (snap.meta.index <= node.sm.appliedIndex) {
      throw new SafetyViolation(
        "appliedOnce",
        `node ${node.id} restores snapshot ${snap.meta.index} over applied index ${node.sm.appliedIndex}`,
      );
    }
    const { voters, learners } = snap.meta.confState;
    this.#track(node.id).conf = { voters: [...voters], learners: [...learners] };
  }

  /** Before applying `e` to the state machine. */
  checkApply(node: CheckedNode, e: Entry): void {
    const storage = node.storage;
    if (e.index !== node.sm.appliedIndex + 1) {
      throw new SafetyViolation(
        "appliedOnce",
        `node ${node.id} applies ${e.index} after ${node.sm.appliedIndex}`,
      );
    }
    // Committed: durably here, or in the commit index this node's core handed out (a commit-only
    // hard state is written unsynced and may still be in flight when the entry, durable itself,
    // is applied).
    const commit = Math.max(storage.hardState().commit, this.#track(node.id).lastReadyCommit);
    if (e.index > commit || durableTerm(storage, e.index) !== e.term) {
      throw new SafetyViolation(
        "appliedOnce",
        `node ${node.id} applies ${e.index}/${e.term}, not durable and committed (commit ${commit})`,
      );
    }
    const hash = entryContentHash(e);
    const known = this.#appliedHash[e.index];
    const ct = this.#committedTerm[e.index] ?? 0;
    if ((known !== undefined && known !== hash) || (ct !== 0 && ct !== e.term)) {
      throw new SafetyViolation(
        "stateMachineSafety",
        `node ${node.id} applies a different entry at index ${e.index} (term ${e.term}, committed term ${ct})`,
      );
    }
    this.#appliedHash[e.index] = hash;
    if (ct === 0) this.#recordCommittedTerm(e.index, e.term);
    this.stats.applied++;
    if (e.type === "confChange") {
      const t = this.#track(node.id);
      t.conf = applyConfChangeModel(t.conf, this.#decodeConfChange(e.data));
    }
  }

  /** After applying `e`: the state machine's hash must be the one every node had there. */
  afterApply(node: CheckedNode, index: number): void {
    const chain = node.sm.chainHash;
    const known = this.#chainAt[index];
    if (known === undefined) this.#chainAt[index] = chain;
    else if (known !== chain) {
      throw new SafetyViolation(
        "stateMachineSafety",
        `node ${node.id} state differs from others' at index ${index}`,
      );
    }
  }

  /** After advance(): the core's configuration must be the one its applied log defines. */
  afterAdvance(node: CheckedNode, rd: Ready, coreConf: ConfState): void {
    if (rd.snapshot === null && !readyHasConfChange(rd)) return;
    const model = this.#track(node.id).conf;
    if (!sameMembers(model.voters, coreConf.voters) || !sameMembers(model.learners, coreConf.learners)) {
      throw new SafetyViolation(
        "configSafety",
        `node ${node.id} config voters [${coreConf.voters}] learners [${coreConf.learners}], ` +
          `applied log says voters [${model.voters}] learners [${model.learners}]`,
      );
    }
  }

  /** At restart: the config rebuilt by the core must match the durable state machine's. */
  checkRestartConf(node: CheckedNode, coreConf: ConfState): void {
    const model = this.#track(node.id).conf;
    if (!sameMembers(model.voters, coreConf.voters) || !sameMembers(model.learners, coreConf.learners)) {
      throw new SafetyViolation(
        "configSafety",
        `node ${node.id} restarts with voters [${coreConf.voters}], applied log says [${model.voters}]`,
      );
    }
  }

  // ------------------------------------------------------------------ reads

  /** A read begins: its index must not be below anything known committed now. */
  onReadIssued(nodeId: NodeId, key: string): void {
    this.#reads.set(key, { nodeId, minIndex: this.#globalCommit });
  }

  checkReadState(node: CheckedNode, rs: ReadState, key: string): void {
    this.stats.readStates++;
    const read = this.#reads.get(key);
    if (read === undefined || read.nodeId !== node.id) {
      throw new SafetyViolation(
        "linearizableRead",
        `node ${node.id} got a read state for an unknown request`,
      );
    }
    if (rs.index < read.minIndex || rs.index > this.#globalCommit) {
      throw new SafetyViolation(
        "linearizableRead",
        `node ${node.id} read index ${rs.index}, but index ${read.minIndex} was committed before the read ` +
          `began (known committed now: ${this.#globalCommit})`,
      );
    }
  }
}

/** Term of index i in the node's log as of this Ready (entries, then snapshot, then durable);
 *  undefined when compacted, 0 when beyond the log. */
export function termInReady(node: CheckedNode, rd: Ready, i: number): number | undefined {
  const entries = rd.entries;
  const first = entries[0];
  if (first !== undefined && i >= first.index) {
    return entries[i - first.index]?.term ?? 0;
  }
  if (rd.snapshot !== null) {
    // The snapshot replaces the whole durable log.
    if (i === rd.snapshot.meta.index) return rd.snapshot.meta.term;
    return i < rd.snapshot.meta.index ? undefined : 0;
  }
  return node.pendingTerm?.(i) ?? durableTerm(node.storage, i);
}
