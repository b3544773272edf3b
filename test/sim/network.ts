// The simulated network: every message gets a delivery time drawn from the seed, so loss,
// delay, duplication and reordering all come from one PRNG. Partitions block directed links;
// a message is dropped if its link is blocked when it would arrive.

import type { Message, NodeId } from "../../src/raft/types.js";
import type { Prng } from "./prng.js";

export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice (the copy with its own delay). */
  duplicateRate: number;
  /** Latency in simulation time units, uniform in [min, max]; differing latencies reorder. */
  latencyMinUnits: number;
  latencyMaxUnits: number;
  /** Probability of an extra long delay (a message stuck in a queue), up to longDelayMaxUnits. */
  longDelayRate: number;
  longDelayMaxUnits: number;
}

export const RELIABLE: NetworkFaults = Object.freeze({
  dropRate: 0,
  duplicateRate: 0,
  latencyMinUnits: 1,
  latencyMaxUnits: 3,
  longDelayRate: 0,
  longDelayMaxUnits: 0,
});

export interface InFlight {
  readonly message: Message;
  readonly deliverAt: number;
  /** Tie-breaker: the send order, so equal delivery times replay identically. */
  readonly seq: number;
  /** The sender's incarnation when it sent, so a restarted sender is not told about old sends. */
  readonly senderIncarnation: number;
}

export interface NetworkStats {
  sent: number;
  lost: number;
  duplicated: number;
  blocked: number;
  delivered: number;
}

function before(a: InFlight, b: InFlight): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.seq < b.seq);
}

/** A binary min-heap on (deliverAt, seq). */
class DeliveryQueue {
  readonly #items: InFlight[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): InFlight | undefined {
    return this.#items[0];
  }

  push(item: InFlight): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): InFlight | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}

function linkKey(from: NodeId, to: NodeId): number {
  return from * 65536 + to;
}

export class SimNetwork {
  faults: NetworkFaults;
  readonly stats: NetworkStats = { sent: 0, lost: 0, duplicated: 0, blocked: 0, delivered: 0 };
  readonly #prng: Prng;
  readonly #queue = new DeliveryQueue();
  readonly #blocked = new Set<number>();
  #seq = 0;

  constructor(prng: Prng, faults: NetworkFaults) {
    this.#prng = prng;
    this.faults = faults;
  }

  get inFlight(): number {
    return this.#queue.size;
  }

  /** Queue a message sent at `now`; it may be lost (returns false) or duplicated. */
  send(message: Message, now: number, senderIncarnation: number): boolean {
    this.stats.sent++;
    const f = this.faults;
    if (f.dropRate > 0 && this.#prng.chance(f.dropRate)) {
      this.stats.lost++;
      return false;
    }
    this.#enqueue(message, now, senderIncarnation);
    if (f.duplicateRate > 0 && this.#prng.chance(f.duplicateRate)) {
      this.stats.duplicated++;
      this.#enqueue(message, now, senderIncarnation);
    }
    return true;
  }

  #enqueue(message: Message, now: number, senderIncarnation: number): void {
    const f = this.faults;
    let delay = this.#prng.range(f.latencyMinUnits, f.latencyMaxUnits);
    if (f.longDelayRate > 0 && this.#prng.chance(f.longDelayRate))
      delay += this.#prng.range(1, f.longDelayMaxUnits);
    this.#queue.push({ message, deliverAt: now + delay, seq: this.#seq++, senderIncarnation });
  }

  /** The next message due at or before `now`, or undefined. Blocked ones come back with
   *  `blocked: true` so the caller can tell the sender (unreachable, failed snapshot). */
  popDue(now: number): { item: InFlight; blocked: boolean } | undefined {
    const top = this.#queue.peek();
    if (top === undefined || top.deliverAt > now) return undefined;
    this.#queue.pop();
    const blocked = this.isBlocked(top.message.from, top.message.to);
    if (blocked) this.stats.blocked++;
    else this.stats.delivered++;
    return { item: top, blocked };
  }

  /** Delivery time of the next queued message, or Infinity. */
  nextDeliveryAt(): number {
    return this.#queue.peek()?.deliverAt ?? Number.POSITIVE_INFINITY;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.#blocked.size > 0 && this.#blocked.has(linkKey(from, to));
  }

  /** Block every link from a node in `from` to a node in `to` (one way). */
  blockOneWay(from: readonly NodeId[], to: readonly NodeId[]): void {
    for (const a of from) for (const b of to) if (a !== b) this.#blocked.add(linkKey(a, b));
  }

  /** Split into two sides that cannot talk to each other either way. */
  partition(sideA: readonly NodeId[], sideB: readonly NodeId[]): void {
    this.blockOneWay(sideA, sideB);
    this.blockOneWay(sideB, sideA);
  }

  /** Cut one node off from all others, both ways. */
  isolate(id: NodeId, others: readonly NodeId[]): void {
    this.partition([id], others);
  }

  heal(): void {
    this.#blocked.clear();
  }

  get blockedLinks(): number {
    return this.#blocked.size;
  }

  /** Drop everything in flight (used by scenario tests). */
  clear(): void {
    this.#queue.clear();
  }
}
