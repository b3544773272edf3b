// A scripted harness for scenario tests: the same Cluster and checker as the random
// simulation, but nothing happens unless the script says so. Messages are delivered by
// `stabilize()` (until the network is quiet), time passes by `tick*()`.

import type { MemoryStorage } from "../../src/raft/storage.js";
import type { Message, NodeId, Role } from "../../src/raft/types.js";
import { Cluster, type CoreOptions } from "./cluster.js";
import { RELIABLE, SimNetwork } from "./network.js";
import { Prng } from "./prng.js";
import { verboseTrace } from "./report.js";

export interface ScenarioOptions {
  voters: readonly NodeId[];
  core?: CoreOptions;
  seed?: number;
  storages?: ReadonlyMap<NodeId, MemoryStorage>;
  ruleChecks?: boolean;
}

const STABILIZE_LIMIT = 100_000;

export class Scenario {
  readonly cluster: Cluster;
  /** Every message delivered (or dropped by `drop`), for assertions on the protocol's traffic. */
  readonly delivered: Message[] = [];
  #drop: ((m: Message) => boolean) | undefined;

  constructor(opts: ScenarioOptions) {
    const seed = opts.seed ?? 1;
    this.cluster = new Cluster({
      seed,
      clusterId: 1,
      voters: opts.voters,
      core: { preVote: true, checkQuorum: true, ...opts.core },
      network: new SimNetwork(new Prng(seed), { ...RELIABLE, latencyMinUnits: 1, latencyMaxUnits: 1 }),
      storages: opts.storages,
      ruleChecks: opts.ruleChecks ?? true,
      trace: verboseTrace(),
      dropIf: (m) => {
        const dropped = this.#drop?.(m) === true;
        if (!dropped) this.delivered.push(m);
        return dropped;
      },
    });
    this.settle();
  }

  /** Drop messages matching `f` at delivery until changed (undefined = drop nothing). */
  set drop(f: ((m: Message) => boolean) | undefined) {
    this.#drop = f;
  }

  /** Handle every node's pending Ready. */
  settle(): void {
    for (const id of this.cluster.aliveIds()) this.cluster.handleReady(id);
  }

  /** Deliver messages (and the Readies they cause) until none are in flight. */
  stabilize(): void {
    const c = this.cluster;
    this.settle();
    for (let i = 0; c.network.inFlight > 0; i++) {
      if (i >= STABILIZE_LIMIT) throw new Error("stabilize: the network never went quiet");
      c.now = Math.max(c.now, c.network.nextDeliveryAt());
      c.deliverDue(() => true);
      c.flushDirty();
    }
  }

  /** Tick one node `n` times, handling its Ready after each tick (no delivery). */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.cluster.tick(id);
      this.cluster.handleReady(id);
    }
  }

  /** Tick every live node once per round and stabilize after each round. */
  tickAll(rounds: number): void {
    for (let r = 0; r < rounds; r++) {
      for (const id of this.cluster.aliveIds()) this.tick(id);
      this.stabilize();
    }
  }

  /** Tick everyone until `done` holds; returns the rounds it took, or throws after `limit`. */
  tickUntil(done: () => boolean, limit: number): number {
    for (let r = 0; r < limit; r++) {
      if (done()) return r;
      this.tickAll(1);
    }
    if (done()) return limit;
    throw new Error(`condition not reached within ${limit} rounds of ticks`);
  }

  campaign(id: NodeId): void {
    this.cluster.node(id).core.campaign();
    this.cluster.handleReady(id);
  }

  /** Campaign and deliver everything: `id` must end up leading. */
  elect(id: NodeId): void {
    this.campaign(id);
    this.stabilize();
    if (this.role(id) !== "leader") throw new Error(`node ${id} did not win (role ${this.role(id)})`);
  }

  isolate(id: NodeId): void {
    const others = [...this.cluster.nodes.keys()].filter((x) => x !== id);
    this.cluster.network.isolate(id, others);
  }

  partition(...groups: NodeId[][]): void {
    const net = this.cluster.network;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) net.partition(groups[i]!, groups[j]!);
    }
  }

  heal(): void {
    this.cluster.network.heal();
  }

  role(id: NodeId): Role {
    return this.cluster.node(id).core.role;
  }

  term(id: NodeId): number {
    return this.cluster.node(id).core.term;
  }

  /** Terms of the durable log of `id`, index 1 first (compacted entries omitted). */
  logTerms(id: NodeId): number[] {
    const s = this.cluster.node(id).storage;
    const out: number[] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
    return out;
  }

  leaders(): NodeId[] {
    return this.cluster.leaders().map((l) => l.id);
  }
}
