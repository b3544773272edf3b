// The seeded random simulation: one seed picks a cluster, a fault profile and every event.
// A run has two phases:
//  1. fault phase: message loss, delay, duplication, reordering, partitions (symmetric and
//     one-way), crashes (also between ready() and persisting) and restarts, process pauses,
//     client proposals and reads, snapshots, membership changes and leadership transfers;
//  2. liveness phase: paused nodes resume, the network heals and every node restarts; no more
//     faults. Within a bounded number of ticks a leader must emerge, proposals accepted by it
//     must commit, reads must be answered and all members must converge.
// Safety is checked by the Checker at every Ready of every node in both phases.

import type { NodeId } from "../../src/raft/types.js";
import { Cluster, type CoreOptions, type CrashPoint, type ReadRecord } from "./cluster.js";
import { LivenessPhase } from "./liveness.js";
import { SimNetwork } from "./network.js";
import { derivedPrng, Prng } from "./prng.js";
import { type Profile, randomProfile, TICK_UNITS } from "./profile.js";

export interface RunOptions {
  plantedBugs?: CoreOptions["plantedBugs"];
  /** Off: check only end-to-end safety properties, not the per-step rules. */
  ruleChecks?: boolean;
  /** Print the trace of this run. */
  trace?: ((line: string) => void) | undefined;
  /** Adjusts the drawn profile (a targeted profile, see TARGETED_PROFILES in profile.ts). */
  profile?: ((p: Profile) => Profile) | undefined;
}

export interface RunResult {
  readonly seed: number;
  readonly clusterSize: number;
  readonly ok: boolean;
  /** The failed check ("liveness" for liveness failures, "error" for a thrown non-violation). */
  readonly failure: { check: string; message: string; atUnits: number } | null;
  readonly stats: Record<string, number>;
}

/** Per-run state of the random driver. */
export class RandomRun {
  readonly prng: Prng;
  readonly profile: Profile;
  readonly cluster: Cluster;
  /** Every node id that may ever run (initial voters and spares that may join). */
  readonly universe: NodeId[];
  readonly nextTickAt = new Map<NodeId, number>();
  readonly tickUnits = new Map<NodeId, number>();
  readonly restartAt = new Map<NodeId, number>();
  /** Leaders to cut off soon after their election, with the time to do it. */
  readonly churnAt = new Map<NodeId, number>();
  readonly faultEndUnits: number;

  constructor(seed: number, opts: RunOptions) {
    this.prng = new Prng(seed);
    this.#pausePrng = derivedPrng(seed, 0x7061);
    const drawn = randomProfile(this.prng.fork(1), this.#pausePrng, derivedPrng(seed, 0x6173));
    this.profile = opts.profile === undefined ? drawn : opts.profile(drawn);
    this.#reissuePrng = derivedPrng(seed, 0x7265);
    this.#reissueRate = this.#reissuePrng.chance(0.5)
      ? 0
      : this.profile.rates.read * this.#reissuePrng.pick([0.3, 1]);
    const p = this.profile;
    const voters = Array.from({ length: p.clusterSize }, (_, i) => i + 1);
    this.universe = [...voters, p.clusterSize + 1, p.clusterSize + 2];
    const network = new SimNetwork(this.prng.fork(2), p.faults);
    this.cluster = new Cluster({
      seed,
      clusterId: 7,
      voters,
      core: { ...p.core, plantedBugs: opts.plantedBugs },
      network,
      trace: opts.trace,
      ruleChecks: opts.ruleChecks ?? true,
      asyncStorage:
        p.asyncStorage.completeChance > 0
          ? { prng: derivedPrng(seed, 0x6177), completeChance: p.asyncStorage.completeChance }
          : undefined,
    });
    this.faultEndUnits = p.faultTicks * TICK_UNITS;
    this.cluster.trace(() => `seed ${seed} profile ${JSON.stringify(p)}`);
    this.cluster.onBecameLeader = (id) => this.#onBecameLeader(id);
    for (const id of voters) this.#scheduleTicks(id);
  }

  #scheduleTicks(id: NodeId): void {
    // Clocks drift: each node ticks at its own pace (within 10%).
    this.tickUnits.set(id, this.prng.range(TICK_UNITS - 1, TICK_UNITS + 1));
    this.nextTickAt.set(id, this.cluster.now + this.prng.range(1, TICK_UNITS));
  }

  eager = (_id: NodeId): boolean => this.prng.chance(this.profile.eagerReadyRate);

  /** One time unit: deliver, tick, then random client operations and faults. */
  step(faults: boolean): void {
    const c = this.cluster;
    c.deliverDue(this.eager);
    c.completeWrites();
    for (const [id, at] of this.nextTickAt) {
      if (at > c.now) continue;
      this.nextTickAt.set(id, at + (this.tickUnits.get(id) ?? TICK_UNITS));
      const node = c.node(id);
      if (!node.alive || node.paused) continue;
      node.core.tick();
      if (this.eager(id)) c.handleReady(id);
      else c.markDirty(id);
    }
    if (faults) this.#randomEvents();
    c.flushDirty();
  }

  #randomEvents(): void {
    const r = this.profile.rates;
    const prng = this.prng;
    if (prng.chance(r.propose)) this.#propose();
    if (prng.chance(r.read)) this.#read();
    if (this.#reissueRate > 0 && this.#reissuePrng.chance(this.#reissueRate)) this.#reissueRead();
    if (prng.chance(r.crash)) this.#crash();
    if (prng.chance(r.powerLoss)) this.#powerLoss();
    this.#restartDue();
    if (prng.chance(r.partition)) this.#partition();
    if (prng.chance(r.compact)) this.#compact();
    if (prng.chance(r.confChange)) this.#confChange();
    if (prng.chance(r.transfer)) this.#transfer();
    if (prng.chance(r.foreign)) this.#foreign();
    this.#churnDue();
    if (this.profile.pause.rate > 0) this.#pauses();
  }

  /**
   * Process pauses (SIGSTOP ... SIGCONT), mostly of the leader and mostly longer than an election
   * timeout: the others elect a new leader and go on, while the paused one still believes it
   * leads. Messages to it wait in its sockets, requests to it wait too. Drawn from a stream of
   * their own, like the profile's pause rate (0 for about half the seeds).
   */
  #pauses(): void {
    const c = this.cluster;
    const pp = this.#pausePrng;
    for (const [id, at] of this.#resumeAt) {
      if (at > c.now) continue;
      this.#resumeAt.delete(id);
      this.#resume(id);
    }
    if (!pp.chance(this.profile.pause.rate)) return;
    const running = c.aliveIds().filter((id) => !c.node(id).paused);
    if (running.length === 0) return;
    const leaders = c.leaders().filter((l) => !c.node(l.id).paused);
    const id = leaders.length > 0 && pp.chance(0.7) ? pp.pick(leaders).id : pp.pick(running);
    c.pause(id);
    this.#unansweredAtPause.set(
      id,
      c.recentReads(id).filter((r) => r.answeredIndex === 0 && r.refusedCode === null),
    );
    this.#resumeAt.set(id, c.now + pp.range(TICK_UNITS, this.profile.pause.maxTicks * TICK_UNITS));
  }

  /**
   * SIGCONT: the event loop drains what waited, in an order drawn from the seed: each peer's
   * messages in arrival order (one connection per peer), client requests in arrival order,
   * transport callbacks, one tick (timers fire once, however late) and, maybe, a re-issue of one
   * of the node's recent reads (src/node re-issues reads unanswered for an election timeout).
   */
  #resume(id: NodeId): void {
    const c = this.cluster;
    const node = c.node(id);
    if (!node.paused) return; // crashed meanwhile
    const pp = this.#pausePrng;
    const unseen = (this.#unansweredAtPause.get(id) ?? []).filter((r) => r.answeredIndex === 0);
    this.#unansweredAtPause.delete(id);
    const streams = new Map<string, (() => void)[]>();
    const add = (source: string, f: () => void) => {
      const q = streams.get(source);
      if (q === undefined) streams.set(source, [f]);
      else q.push(f);
    };
    for (const b of c.resume(id)) add(b.source, () => c.processBacklogged(id, b));
    add("tick", () => {
      if (node.alive) node.core.tick();
    });
    if (pp.chance(this.profile.pause.reissueChance)) {
      // src/node re-issues the reads it had seen no answer to; else any (one may be on the way).
      const candidates = unseen.length > 0 ? unseen : c.recentReads(id);
      add("reissue", () => {
        if (node.alive && candidates.length > 0) c.reissueRead(pp.pick(candidates));
      });
    }
    const queues = [...streams.values()];
    while (queues.length > 0) {
      const i = pp.int(queues.length);
      const q = queues[i]!;
      q.shift()!();
      if (q.length === 0) queues.splice(i, 1);
      if (pp.chance(this.profile.eagerReadyRate)) c.handleReady(id);
      else c.markDirty(id);
    }
  }

  readonly #pausePrng: Prng;
  readonly #resumeAt = new Map<NodeId, number>();
  /** Per paused node, its reads it had not seen answered when paused. */
  readonly #unansweredAtPause = new Map<NodeId, ReadRecord[]>();

  /** Leader churn: a new leader that fails before replicating leaves a divergent, higher-term
   *  suffix behind, the raw material of the paper's Figure 8 histories. */
  #onBecameLeader(id: NodeId): void {
    if (this.cluster.phase !== "fault" || !this.prng.chance(this.profile.leaderChurnRate)) return;
    this.churnAt.set(id, this.cluster.now + this.prng.range(0, 3 * TICK_UNITS));
  }

  #churnDue(): void {
    for (const [id, at] of this.churnAt) {
      if (at > this.cluster.now) continue;
      this.churnAt.delete(id);
      const node = this.cluster.node(id);
      if (!node.alive || this.restartAt.has(id)) continue;
      if (this.prng.chance(0.5)) {
        const ids = [...this.cluster.nodes.keys()];
        this.cluster.network.isolate(
          id,
          ids.filter((x) => x !== id),
        );
        this.cluster.trace(() => `network isolates new leader n${id}`);
      } else {
        this.cluster.crash(id);
        this.restartAt.set(id, this.cluster.now + this.prng.range(TICK_UNITS, 30 * TICK_UNITS));
      }
    }
  }

  /** A live node, biased towards a leader when there is one (clients find the leader). */
  #pickNode(leaderBias: number): NodeId | null {
    const alive = this.cluster.aliveIds();
    if (alive.length === 0) return null;
    const leaders = this.cluster.leaders();
    if (leaders.length > 0 && this.prng.chance(leaderBias)) return this.prng.pick(leaders).id;
    return this.prng.pick(alive);
  }

  #propose(): void {
    const id = this.#pickNode(0.7);
    if (id === null) return;
    const big = this.prng.chance(0.05);
    this.cluster.propose(id, big ? this.prng.range(500, 3000) : this.prng.range(0, 40));
    this.handleInput(id);
  }

  #read(): void {
    const id = this.#pickNode(0.5);
    if (id === null) return;
    this.cluster.readIndex(id);
    this.handleInput(id);
  }

  /**
   * A node asks again under one of its recent read contexts, answered or not (its answer may
   * be on the way). Drawn from a stream of its own, so seeds whose profile has no re-issues
   * (half of them) run exactly as they did before re-issues were simulated.
   */
  #reissueRead(): void {
    const ids = this.cluster.aliveIds();
    if (ids.length === 0) return;
    const id = this.#reissuePrng.pick(ids);
    const recent = this.cluster.recentReads(id);
    if (recent.length === 0 || this.cluster.node(id).paused) return;
    this.cluster.reissueRead(this.#reissuePrng.pick(recent));
    this.handleInput(id);
  }

  readonly #reissuePrng: Prng;
  readonly #reissueRate: number;

  /** Handle the node's Ready now or batch it, as the profile says. */
  handleInput(id: NodeId): void {
    if (this.eager(id)) this.cluster.handleReady(id);
    else this.cluster.markDirty(id);
  }

  #crash(): void {
    const id = this.#pickNode(0.4);
    if (id !== null) this.#crashNode(id);
  }

  #powerLoss(): void {
    this.cluster.trace(() => "POWER LOSS");
    for (const id of this.cluster.aliveIds()) this.#crashNode(id);
  }

  #crashNode(id: NodeId): void {
    const point: CrashPoint = this.prng.pick(["now", "beforePersist", "beforePersist", "afterPersist"]);
    const node = this.cluster.node(id);
    if (point === "now") this.cluster.crash(id);
    else node.pendingCrash = point;
    this.cluster.trace(() => `n${id} will crash (${point})`);
    const downUnits = this.prng.range(TICK_UNITS, this.profile.maxDowntimeTicks * TICK_UNITS);
    this.restartAt.set(id, this.cluster.now + downUnits);
  }

  #restartDue(): void {
    for (const [id, at] of this.restartAt) {
      if (at > this.cluster.now) continue;
      const node = this.cluster.node(id);
      if (node.pendingCrash !== null) continue; // the crash has not struck yet
      this.restartAt.delete(id);
      if (node.alive) continue;
      this.cluster.restart(id);
      this.handleInput(id);
    }
  }

  #partition(): void {
    const net = this.cluster.network;
    const ids = [...this.cluster.nodes.keys()];
    const kind = this.prng.weighted([
      ["heal", 4],
      ["split", 2],
      ["isolate", 2],
      ["isolateLeader", 2],
      ["oneWay", 2],
    ] as const);
    if (kind === "heal") net.heal();
    else if (kind === "split") {
      const shuffled = this.prng.shuffle([...ids]);
      const cut = this.prng.range(1, shuffled.length - 1);
      net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    } else if (kind === "isolate" || kind === "isolateLeader") {
      const leaders = this.cluster.leaders();
      const target =
        kind === "isolateLeader" && leaders.length > 0 ? this.prng.pick(leaders).id : this.prng.pick(ids);
      net.isolate(
        target,
        ids.filter((x) => x !== target),
      );
    } else {
      const from = this.prng.pick(ids);
      const to = this.prng
        .shuffle(ids.filter((x) => x !== from))
        .slice(0, this.prng.range(1, ids.length - 1));
      net.blockOneWay([from], to);
    }
    this.cluster.trace(() => `network ${kind} (${net.blockedLinks} links blocked)`);
  }

  #compact(): void {
    const alive = this.cluster.aliveIds();
    if (alive.length === 0) return;
    const id = this.prng.pick(alive);
    const retain = this.prng.chance(0.7) ? 0 : this.prng.range(1, 20);
    if (this.cluster.compact(id, retain)) this.handleInput(id);
  }

  #confChange(): void {
    const leaders = this.cluster.leaders();
    if (leaders.length === 0) return;
    const leader = this.prng.pick(leaders).id;
    const conf = this.cluster.node(leader).core.confState();
    const members = [...conf.voters, ...conf.learners];
    const outsiders = this.universe.filter((x) => !members.includes(x));
    const choices: ["addLearner" | "promote" | "addVoter" | "removeLearner" | "removeVoter", number][] = [];
    if (outsiders.length > 0) choices.push(["addLearner", 3], ["addVoter", 1]);
    if (conf.learners.length > 0) choices.push(["promote", 3], ["removeLearner", 1]);
    // Without pre-vote and check-quorum, a removed voter that never learns of its removal keeps
    // campaigning with ever higher terms and disrupts the cluster forever (thesis §4.2.3; the
    // same holds for etcd-io/raft, whose transport drops removed members instead). Such
    // profiles do not remove voters, so that their liveness phase can assert progress.
    const disruptionGuarded = this.profile.core.preVote === true || this.profile.core.checkQuorum === true;
    if (conf.voters.length > 2 && disruptionGuarded) choices.push(["removeVoter", 2]);
    if (choices.length === 0) return;
    const kind = this.prng.weighted(choices);
    let type: "addVoter" | "addLearner" | "removeNode";
    let nodeId: NodeId;
    if (kind === "addLearner" || kind === "addVoter") {
      nodeId = this.prng.pick(outsiders);
      type = kind;
      this.#ensureStarted(nodeId);
    } else if (kind === "promote") {
      nodeId = this.prng.pick(conf.learners);
      type = "addVoter";
    } else {
      nodeId = this.prng.pick(kind === "removeLearner" ? conf.learners : conf.voters);
      type = "removeNode";
    }
    this.cluster.proposeConfChange(leader, { type, nodeId, context: new Uint8Array(0) });
    this.handleInput(leader);
  }

  /** A node joining for the first time starts empty (as `raftkv` does with an empty data dir);
   *  a removed node that is re-added keeps its durable state. */
  #ensureStarted(id: NodeId): void {
    if (this.cluster.nodes.has(id)) return;
    this.cluster.addEmptyNode(id);
    this.#scheduleTicks(id);
  }

  #transfer(): void {
    const id = this.#pickNode(0.8);
    if (id === null) return;
    const voters = this.cluster
      .node(id)
      .core.confState()
      .voters.filter((x) => x !== id);
    if (voters.length === 0) return;
    this.cluster.transferLeader(id, this.prng.pick(voters));
    this.handleInput(id);
  }

  /** A copy of a real message stamped with another cluster's id. */
  #foreign(): void {
    const alive = this.cluster.aliveIds();
    if (alive.length < 2) return;
    const [to, from] = this.prng.shuffle([...alive]);
    const node = this.cluster.node(from!);
    this.cluster.injectForeign(
      {
        type: this.prng.pick(["app", "vote", "heartbeat", "preVote"] as const),
        clusterId: 0,
        from: from!,
        to: to!,
        term: node.core.term + this.prng.range(0, 3),
        logTerm: 0,
        index: 0,
        entries: [],
        commit: 0,
        snapshot: null,
        reject: false,
        rejectHint: 0,
        context: new Uint8Array(0),
      },
      this.cluster.clusterId + 1 + this.prng.int(1000),
    );
  }

  /** The fault phase is over: no more scheduled crashes, restarts or churn; paused nodes resume. */
  quiesceFaults(): void {
    this.restartAt.clear();
    this.churnAt.clear();
    for (const node of this.cluster.nodes.values()) node.pendingCrash = null;
    this.#resumeAt.clear();
    for (const node of this.cluster.nodes.values()) this.#resume(node.id);
    this.cluster.flushDirty();
  }
}

export function runSeed(seed: number, opts: RunOptions = {}): RunResult {
  let run: RandomRun | null = null;
  try {
    run = new RandomRun(seed, opts);
    const c = run.cluster;
    for (c.now = 0; c.now < run.faultEndUnits; c.now++) run.step(true);
    run.quiesceFaults();
    new LivenessPhase(run).run();
    return { seed, clusterSize: run.profile.clusterSize, ok: true, failure: null, stats: collectStats(run) };
  } catch (err) {
    const check = (err as { check?: string }).check ?? "error";
    const message =
      err instanceof Error ? (check === "error" ? (err.stack ?? err.message) : err.message) : String(err);
    return {
      seed,
      clusterSize: run?.profile.clusterSize ?? 0,
      ok: false,
      failure: { check, message, atUnits: run?.cluster.now ?? 0 },
      stats: run === null ? {} : collectStats(run),
    };
  }
}

function collectStats(run: RandomRun): Record<string, number> {
  const c = run.cluster;
  let committed = 0;
  let refused = 0;
  let lost = 0;
  for (const p of c.proposals) {
    if (p.committedIndex > 0) committed++;
    else if (p.refusedCode !== null) refused++;
    else lost++;
  }
  let maxTerm = 0;
  for (const n of c.nodes.values()) maxTerm = Math.max(maxTerm, n.storage.hardState().term);
  return {
    units: c.now,
    nodes: c.nodes.size,
    maxTerm,
    commit: c.checker.globalCommit,
    proposals: c.proposals.length,
    committed,
    refused,
    lostOrUnknown: lost,
    reads: c.reads.size,
    readStates: c.checker.stats.readStates,
    ...c.counters,
    ...c.network.stats,
  };
}
