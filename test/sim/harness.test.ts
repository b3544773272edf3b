// Unit tests of the simulator's own parts: the PRNG, the network model, seed ranges and the
// state machine. The simulator is only as good as these.

import { describe, expect, it } from "vitest";
import type { Message } from "../../src/raft/types.js";
import { RELIABLE, SimNetwork } from "./network.js";
import { derivedPrng, Prng } from "./prng.js";
import { chunks, parseSeedRange, replayCommand } from "./seeds.js";
import { decodeStateMachineImage, SimStateMachine } from "./state-machine.js";

function msg(from: number, to: number, index = 0): Message {
  return {
    type: "app",
    clusterId: 1,
    from,
    to,
    term: 1,
    logTerm: 0,
    index,
    entries: [],
    commit: 0,
    snapshot: null,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
  };
}

describe("Prng", () => {
  it("replays the same stream for the same seed and differs across seeds", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 100 }, () => a.nextUint32());
    const sb = Array.from({ length: 100 }, () => b.nextUint32());
    const sc = Array.from({ length: 100 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it("keeps values in range and is roughly uniform", () => {
    const p = new Prng(7);
    const buckets = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = p.next();
      if (x < 0 || x >= 1) outOfRange++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outOfRange).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(600);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(p.range(3, 5));
    expect([...seen].sort()).toEqual([3, 4, 5]);
  });

  it("weighted picks follow the weights", () => {
    const p = new Prng(1);
    let heavy = 0;
    for (let i = 0; i < 10_000; i++)
      if (
        p.weighted([
          ["a", 3],
          ["b", 1],
        ] as const) === "a"
      )
        heavy++;
    expect(heavy / 10_000).toBeGreaterThan(0.72);
    expect(heavy / 10_000).toBeLessThan(0.78);
  });

  it("shuffle permutes and derived streams are independent of draws elsewhere", () => {
    const p = new Prng(3);
    expect(p.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(derivedPrng(9, 1).nextUint32()).toBe(derivedPrng(9, 1).nextUint32());
    expect(derivedPrng(9, 1).nextUint32()).not.toBe(derivedPrng(9, 2).nextUint32());
  });

  it("rejects empty choices", () => {
    expect(() => new Prng(1).pick([])).toThrow(RangeError);
    expect(() => new Prng(1).int(0)).toThrow(RangeError);
  });
});

describe("SimNetwork", () => {
  it("delivers in time order, ties in send order", () => {
    const net = new SimNetwork(new Prng(1), { ...RELIABLE, latencyMinUnits: 1, latencyMaxUnits: 20 });
    for (let i = 0; i < 200; i++) net.send(msg(1, 2, i), 0, 1);
    let last = -1;
    let count = 0;
    for (let now = 0; now <= 20; now++) {
      for (let d = net.popDue(now); d !== undefined; d = net.popDue(now)) {
        expect(d.item.deliverAt).toBeLessThanOrEqual(now);
        expect(d.item.deliverAt).toBeGreaterThanOrEqual(last);
        last = d.item.deliverAt;
        count++;
      }
    }
    expect(count).toBe(200);
  });

  it("reorders messages with different latencies", () => {
    const net = new SimNetwork(new Prng(5), { ...RELIABLE, latencyMinUnits: 1, latencyMaxUnits: 10 });
    for (let i = 0; i < 50; i++) net.send(msg(1, 2, i), 0, 1);
    const order: number[] = [];
    for (let d = net.popDue(100); d !== undefined; d = net.popDue(100)) order.push(d.item.message.index);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it("loses and duplicates at the configured rates", () => {
    const net = new SimNetwork(new Prng(2), { ...RELIABLE, dropRate: 0.2, duplicateRate: 0.1 });
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) if (net.send(msg(1, 2), 0, 1)) accepted++;
    expect(net.stats.lost).toBe(10_000 - accepted);
    expect(net.stats.lost / 10_000).toBeCloseTo(0.2, 1);
    expect(net.stats.duplicated / accepted).toBeCloseTo(0.1, 1);
    expect(net.inFlight).toBe(accepted + net.stats.duplicated);
  });

  it("blocks one-way and symmetric partitions at delivery, and heals", () => {
    const net = new SimNetwork(new Prng(3), RELIABLE);
    net.blockOneWay([1], [2]);
    expect(net.isBlocked(1, 2)).toBe(true);
    expect(net.isBlocked(2, 1)).toBe(false);
    net.partition([1, 2], [3]);
    expect(net.isBlocked(3, 1) && net.isBlocked(1, 3) && net.isBlocked(2, 3)).toBe(true);
    net.send(msg(1, 3), 0, 1);
    net.send(msg(2, 1), 0, 1);
    const results: boolean[] = [];
    for (let d = net.popDue(10); d !== undefined; d = net.popDue(10)) results.push(d.blocked);
    expect(results.sort()).toEqual([false, true]);
    net.heal();
    expect(net.isBlocked(1, 3)).toBe(false);
    net.isolate(2, [1, 3]);
    expect(net.isBlocked(2, 1) && net.isBlocked(3, 2)).toBe(true);
    expect(net.isBlocked(1, 3)).toBe(false);
  });
});

describe("seed ranges", () => {
  it("parses ranges and single seeds, and rejects junk", () => {
    expect(parseSeedRange("3-9", { first: 1, last: 1 })).toEqual({ first: 3, last: 9 });
    expect(parseSeedRange("42", { first: 1, last: 1 })).toEqual({ first: 42, last: 42 });
    expect(parseSeedRange(undefined, { first: 1, last: 5 })).toEqual({ first: 1, last: 5 });
    expect(() => parseSeedRange("9-3", { first: 1, last: 1 })).toThrow(TypeError);
    expect(() => parseSeedRange("a-b", { first: 1, last: 1 })).toThrow(TypeError);
  });

  it("chunks cover the range exactly and the replay command names the seed", () => {
    expect(chunks({ first: 1, last: 5 }, 2)).toEqual([
      { first: 1, last: 2 },
      { first: 3, last: 4 },
      { first: 5, last: 5 },
    ]);
    expect(replayCommand(1234)).toContain("RAFTKV_SIM_SEEDS=1234-1234");
  });
});

describe("SimStateMachine", () => {
  it("folds entries into a hash that depends on order, and round-trips through a snapshot", () => {
    const a = new SimStateMachine();
    const b = new SimStateMachine();
    const e1 = { term: 1, index: 1, type: "normal" as const, data: Uint8Array.of(1) };
    const e2 = { term: 1, index: 2, type: "normal" as const, data: Uint8Array.of(2) };
    a.apply(e1);
    a.apply(e2);
    b.apply({ ...e1, data: Uint8Array.of(2) });
    b.apply({ ...e2, data: Uint8Array.of(1) });
    expect(a.chainHash).not.toBe(b.chainHash);
    const image = decodeStateMachineImage(a.serialize());
    expect(image).toEqual({ appliedIndex: 2, chainHash: a.chainHash, appliedCount: 2 });
    expect(decodeStateMachineImage(Uint8Array.of(1, 2, 3))).toBeNull();
  });
});

describe("replay", () => {
  it("a seed replays exactly, traced or not", async () => {
    const { runSeed } = await import("./random-sim.js");
    const { fnv1a } = await import("./state-machine.js");
    const encoder = new TextEncoder();
    for (const seed of [1, 2, 3]) {
      let digest = 0;
      let lines = 0;
      const traced = runSeed(seed, {
        trace: (line) => {
          digest = fnv1a(encoder.encode(line), digest);
          lines++;
        },
      });
      let digestAgain = 0;
      const tracedAgain = runSeed(seed, {
        trace: (line) => {
          digestAgain = fnv1a(encoder.encode(line), digestAgain);
        },
      });
      const plain = runSeed(seed);
      expect(lines).toBeGreaterThan(100);
      expect(digestAgain).toBe(digest);
      expect(tracedAgain.stats).toEqual(traced.stats);
      expect(plain.stats).toEqual(traced.stats);
    }
  });
});
