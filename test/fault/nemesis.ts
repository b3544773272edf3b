// The nemesis: a schedule of faults drawn from the run's seed before the run starts (printed), then
// played on that timeline against the live cluster. One fault at a time, each healed before the
// next quiet gap. Targets named "leader" are resolved when the fault starts (whoever leads then);
// random targets and partition groups are part of the schedule.

import type { FaultCluster, FaultNode } from "./cluster.js";
import { type CutMode, HEALED, linkId, type NetFaults } from "./net.js";
import type { Prng } from "./prng.js";

export const FAULT_KINDS = [
  "kill-leader",
  "kill-random",
  "kill-all",
  "term-leader",
  "pause-leader",
  "pause-random",
  "partition-halves",
  "partition-leader",
  "partition-bridge",
  "oneway-leader-out",
  "oneway-leader-in",
  "oneway-random",
  "slow-network",
  "transfer-leader",
  "flapping-partitions",
  "partition-and-kill",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScheduledFault {
  readonly atMs: number;
  readonly kind: FaultKind;
  readonly durationMs: number;
  /** A node index (random targets), a permutation of all nodes (partitions), cut mode, delay. */
  readonly node: number;
  readonly order: readonly number[];
  readonly mode: CutMode;
  readonly delayMs: number;
  readonly outbound: boolean;
  /** flapping-partitions: the successive splits (node permutations, minority first) and their period. */
  readonly flaps: readonly (readonly number[])[];
  readonly flapMs: number;
}

export interface ScheduleOptions {
  readonly timeMs: number;
  readonly nodeCount: number;
  readonly electionTimeoutMs: number;
  readonly canDelay: boolean;
  /** The kinds to draw from (default: all the network supports); empty: no faults at all. */
  readonly kinds?: readonly FaultKind[];
}

/** The whole fault plan, from the seed alone. */
export function makeSchedule(rng: Prng, o: ScheduleOptions): ScheduledFault[] {
  const e = o.electionTimeoutMs;
  const kinds = (o.kinds ?? FAULT_KINDS).filter((k) => k !== "slow-network" || o.canDelay);
  if (kinds.length === 0) return [];
  const out: ScheduledFault[] = [];
  let bag: FaultKind[] = [];
  let t = Math.round(rng.between(2 * e, 4 * e));
  for (;;) {
    if (bag.length === 0) bag = rng.shuffle(kinds);
    const kind = bag.pop()!;
    const durationMs = Math.round(durationOf(kind, rng, e));
    if (t + durationMs > o.timeMs) break;
    out.push({
      atMs: t,
      kind,
      durationMs,
      node: rng.int(o.nodeCount),
      order: rng.shuffle([...Array(o.nodeCount).keys()]),
      mode: rng.chance(0.7) ? "hang" : "drop",
      delayMs: Math.round(rng.between(10, Math.max(20, e / 3))),
      outbound: rng.chance(0.5),
      flapMs: Math.round(rng.between(0.4 * e, 2 * e)),
      flaps: Array.from({ length: 64 }, () => rng.shuffle([...Array(o.nodeCount).keys()])),
    });
    t += durationMs + Math.round(rng.between(2 * e, 6 * e));
  }
  return out;
}

function durationOf(kind: FaultKind, rng: Prng, e: number): number {
  switch (kind) {
    case "kill-leader":
    case "kill-random":
    case "term-leader":
      return rng.between(e, 8 * e);
    case "kill-all":
      return rng.between(e, 4 * e);
    case "pause-leader":
    case "pause-random":
      // Longer than the longest randomized election timeout (2 × e): the others elect meanwhile.
      return rng.between(2.5 * e, 10 * e);
    case "transfer-leader":
      return 0;
    default:
      return rng.between(4 * e, 16 * e);
  }
}

const names = (nodes: readonly FaultNode[]): string => `{${nodes.map((n) => n.name).join(",")}}`;

export function describeFault(f: ScheduledFault, nodeNames: readonly string[]): string {
  const nm = (i: number): string => nodeNames[i]!;
  const at = `t=${(f.atMs / 1000).toFixed(1).padStart(6)}s`;
  const dur = f.durationMs > 0 ? ` for ${(f.durationMs / 1000).toFixed(1)}s` : "";
  let what: string = f.kind;
  const ord = f.order.map(nm);
  const n = f.order.length;
  switch (f.kind) {
    case "kill-random":
    case "pause-random":
      what += ` ${nm(f.node)}`;
      break;
    case "partition-halves": {
      const minority = Math.floor((n - 1) / 2);
      what += ` {${ord.slice(0, minority).join(",")}} | {${ord.slice(minority).join(",")}} (${f.mode})`;
      break;
    }
    case "partition-bridge": {
      const side = Math.floor((n - 1) / 2);
      what += ` {${ord.slice(0, side).join(",")}} - ${ord[side]} - {${ord.slice(side + 1).join(",")}} (${f.mode})`;
      break;
    }
    case "partition-leader":
    case "oneway-leader-out":
    case "oneway-leader-in":
      what += ` (${f.mode})`;
      break;
    case "oneway-random":
      what += ` ${nm(f.node)} ${f.outbound ? "cannot send" : "cannot receive"} (${f.mode})`;
      break;
    case "slow-network":
      what += ` +${f.delayMs}ms per link`;
      break;
    case "flapping-partitions":
      what += ` a new split every ${f.flapMs}ms (${f.mode})`;
      break;
    case "partition-and-kill": {
      const minority = Math.floor((n - 1) / 2);
      what +=
        ` {${ord.slice(0, minority).join(",")}} | {${ord.slice(minority).join(",")}} (${f.mode}),` +
        ` SIGKILL ${ord[n - 1]} midway`;
      break;
    }
    default:
  }
  return `${at} ${what}${dur}`;
}

export interface NemesisCounters {
  readonly byKind: Record<string, number>;
  kills: number;
  pauses: number;
  partitions: number;
  leaderTargets: number;
  noLeaderFound: number;
}

export class Nemesis {
  readonly counters: NemesisCounters = {
    byKind: {},
    kills: 0,
    pauses: 0,
    partitions: 0,
    leaderTargets: 0,
    noLeaderFound: 0,
  };
  readonly #cluster: FaultCluster;
  readonly #schedule: readonly ScheduledFault[];
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  #aborted = false;

  constructor(
    cluster: FaultCluster,
    schedule: readonly ScheduledFault[],
    log: (line: string) => void,
    now: () => number,
  ) {
    this.#cluster = cluster;
    this.#schedule = schedule;
    this.#log = log;
    this.#now = now;
  }

  abort(): void {
    this.#aborted = true;
  }

  /** Plays the schedule; `startMs` is the `now()` the schedule's times count from. */
  async run(startMs: number): Promise<void> {
    for (const f of this.#schedule) {
      const wait = startMs + f.atMs - this.#now();
      if (wait > 0) await delay(wait);
      if (this.#aborted) return;
      await this.#play(f, startMs);
    }
  }

  async #leader(): Promise<FaultNode> {
    const c = this.#cluster;
    const l = await c.leader(800);
    if (l !== null) {
      this.counters.leaderTargets++;
      return l;
    }
    this.counters.noLeaderFound++;
    const up = c.nodes.filter((n) => n.state === "up");
    return up[Math.floor(this.#now()) % up.length] ?? c.nodes[0]!;
  }

  async #play(f: ScheduledFault, startMs: number): Promise<void> {
    const c = this.#cluster;
    const nodes = c.nodes;
    // The fault lasts durationMs from the moment it took effect (after finding the leader, after
    // the process exited), so a pause is never cut shorter than scheduled.
    let since = this.#now();
    const mark = (): string => {
      since = this.#now();
      return `t=${((since - startMs) / 1000).toFixed(1)}s`;
    };
    const hold = async (): Promise<void> => {
      const left = f.durationMs - (this.#now() - since);
      if (left > 0) await delay(left);
    };
    const t0 = since;
    const at = `t=${((t0 - startMs) / 1000).toFixed(1)}s`;
    this.counters.byKind[f.kind] = (this.counters.byKind[f.kind] ?? 0) + 1;
    const ord = f.order.map((i) => nodes[i]!);
    switch (f.kind) {
      case "kill-leader":
      case "kill-random":
      case "term-leader": {
        const victim = f.kind === "kill-random" ? nodes[f.node]! : await this.#leader();
        const signal = f.kind === "term-leader" ? "SIGTERM" : "SIGKILL";
        this.counters.kills++;
        await c.stopNode(victim, signal);
        this.#log(`${mark()} ${f.kind}: ${signal} ${victim.name} (exited)`);
        await hold();
        c.start(victim);
        this.#log(`  restarted ${victim.name}`);
        return;
      }
      case "kill-all": {
        this.counters.kills += nodes.length;
        await Promise.all(nodes.map((n) => c.stopNode(n, "SIGKILL")));
        this.#log(`${mark()} kill-all: SIGKILL ${names(nodes)}`);
        await hold();
        for (const n of nodes) c.start(n);
        this.#log(`  restarted ${names(nodes)}`);
        return;
      }
      case "pause-leader":
      case "pause-random": {
        const victim = f.kind === "pause-random" ? nodes[f.node]! : await this.#leader();
        this.counters.pauses++;
        c.pause(victim);
        this.#log(`${mark()} ${f.kind}: SIGSTOP ${victim.name}`);
        await hold();
        c.resume(victim);
        this.#log(`  SIGCONT ${victim.name}`);
        return;
      }
      case "transfer-leader": {
        const leader = await this.#leader();
        const target = ord.find((n) => n !== leader)!;
        const client = c.client(leader, 3 * c.electionTimeoutMs + 1000);
        try {
          await client.moveLeader(target.memberId);
          this.#log(`${at} transfer-leader: ${leader.name} → ${target.name}`);
        } catch (err) {
          this.#log(
            `${at} transfer-leader: ${leader.name} → ${target.name} failed: ${(err as Error).message}`,
          );
        } finally {
          client.close();
        }
        return;
      }
      case "slow-network": {
        await c.net.apply({ ...HEALED, delayMs: f.delayMs });
        this.#log(`${mark()} slow-network: +${f.delayMs}ms on every link`);
        await hold();
        await c.net.apply(HEALED);
        this.#log(`  links fast again`);
        return;
      }
      case "flapping-partitions": {
        this.#log(`${mark()} flapping-partitions: a new random split every ${f.flapMs}ms (${f.mode})`);
        for (let i = 0; this.#now() - since + f.flapMs <= f.durationMs; i++) {
          const split = f.flaps[i % f.flaps.length]!.map((k) => nodes[k]!);
          const minority = 1 + (i % Math.floor((split.length - 1) / 2));
          const cut = new Set<string>();
          for (const x of split.slice(0, minority))
            for (const y of split.slice(minority))
              cut.add(linkId(x.index, y.index)).add(linkId(y.index, x.index));
          this.counters.partitions++;
          await c.net.apply({ cut, mode: f.mode, delayMs: 0 });
          await delay(f.flapMs);
        }
        await c.net.apply(HEALED);
        this.#log(`  healed`);
        return;
      }
      case "partition-and-kill": {
        const { cut, label } = await this.#partition({ ...f, kind: "partition-halves" }, ord);
        const victim = ord[ord.length - 1]!;
        this.counters.partitions++;
        this.counters.kills++;
        await c.net.apply({ cut, mode: f.mode, delayMs: 0 });
        this.#log(`${mark()} partition-and-kill: ${label} (${f.mode}); SIGKILL ${victim.name} midway`);
        await delay(f.durationMs / 2);
        await c.stopNode(victim, "SIGKILL");
        await delay(f.durationMs / 4);
        c.start(victim);
        await hold();
        await c.net.apply(HEALED);
        this.#log(`  restarted ${victim.name}; healed`);
        return;
      }
      default: {
        const { cut, label } = await this.#partition(f, ord);
        this.counters.partitions++;
        await c.net.apply({ cut, mode: f.mode, delayMs: 0 });
        this.#log(`${mark()} ${f.kind}: ${label} (${f.mode})`);
        await hold();
        await c.net.apply(HEALED);
        this.#log(`  healed`);
      }
    }
  }

  async #partition(
    f: ScheduledFault,
    ord: readonly FaultNode[],
  ): Promise<{ cut: Set<string>; label: string }> {
    const all = this.#cluster.nodes;
    const cut = new Set<string>();
    const sever = (a: readonly FaultNode[], b: readonly FaultNode[], both = true): void => {
      for (const x of a) {
        for (const y of b) {
          if (x === y) continue;
          cut.add(linkId(x.index, y.index));
          if (both) cut.add(linkId(y.index, x.index));
        }
      }
    };
    const n = ord.length;
    switch (f.kind) {
      case "partition-halves": {
        const minority = Math.floor((n - 1) / 2);
        const [a, b] = [ord.slice(0, minority), ord.slice(minority)];
        sever(a, b);
        return { cut, label: `${names(a)} | ${names(b)}` };
      }
      case "partition-bridge": {
        const side = Math.floor((n - 1) / 2);
        const [a, bridge, b] = [ord.slice(0, side), ord[side]!, ord.slice(side + 1)];
        sever(a, b);
        return { cut, label: `${names(a)} - ${bridge.name} - ${names(b)}` };
      }
      case "partition-leader": {
        const l = await this.#leader();
        sever([l], all);
        return { cut, label: `${l.name} isolated` };
      }
      case "oneway-leader-out":
      case "oneway-leader-in":
      case "oneway-random": {
        const x = f.kind === "oneway-random" ? all[f.node]! : await this.#leader();
        const out = f.kind === "oneway-random" ? f.outbound : f.kind === "oneway-leader-out";
        if (out) sever([x], all, false);
        else sever(all, [x], false);
        return { cut, label: `${x.name} ${out ? "cannot send to anyone" : "hears no one"}` };
      }
      default:
        throw new Error(`not a partition: ${f.kind}`);
    }
  }

  /** Ends every fault: links healed, paused nodes resumed, stopped nodes restarted. */
  async healAll(): Promise<void> {
    const c = this.#cluster;
    await c.net.apply(HEALED satisfies NetFaults);
    for (const n of c.nodes) {
      if (n.state === "paused") c.resume(n);
      if (n.state === "down") c.start(n);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
