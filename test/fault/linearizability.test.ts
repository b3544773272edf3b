// The linearizability checker on hand-made histories: linearizable ones pass; a stale read, a lost
// write, a doubly-applied CAS (and a few relatives) are caught and explained. Also the revision
// witness (witness.ts) on the same kind of histories.

import { describe, expect, it } from "vitest";
import type { StoreEvent } from "./audit.js";
import type { KvInput, KvOutput, Observed, Operation, OpStatus } from "./history.js";
import { checkHistory } from "./linearizability.js";
import { checkWitness } from "./witness.js";

const NONE: Observed = { value: null, rev: 0 };
const at = (value: string, rev: number): Observed => ({ value, rev });

/** A hand-written history; times in ms. */
class H {
  readonly ops: Operation[] = [];
  #add(
    client: number,
    input: KvInput,
    status: OpStatus,
    output: KvOutput | null,
    t: [number, number],
    key = "k",
  ) {
    this.ops.push({
      id: this.ops.length,
      client,
      key,
      input,
      status,
      output,
      invokeMs: t[0],
      completeMs: status === "info" ? Number.POSITIVE_INFINITY : t[1],
      node: "n1",
    });
    return this;
  }
  get(c: number, obs: Observed, t: [number, number], key?: string) {
    return this.#add(c, { f: "get" }, "ok", { f: "get", obs }, t, key);
  }
  put(c: number, value: string, rev: number, prev: Observed, t: [number, number], key?: string) {
    return this.#add(c, { f: "put", value }, "ok", { f: "put", rev, prev }, t, key);
  }
  putInfo(c: number, value: string, t: [number, number]) {
    return this.#add(c, { f: "put", value }, "info", null, t);
  }
  putFail(c: number, value: string, t: [number, number]) {
    return this.#add(c, { f: "put", value }, "fail", null, t);
  }
  del(c: number, deleted: number, rev: number, prev: Observed, t: [number, number]) {
    return this.#add(c, { f: "delete" }, "ok", { f: "delete", rev, deleted, prev }, t);
  }
  casValue(
    c: number,
    expect: string,
    value: string,
    ok: boolean,
    rev: number,
    t: [number, number],
    cur?: Observed,
  ) {
    const out: KvOutput = { f: "cas", rev, succeeded: ok, cur: ok ? null : (cur ?? null) };
    return this.#add(c, { f: "cas", cmp: "value", expect, value }, "ok", out, t);
  }
  casRev(
    c: number,
    expect: number,
    value: string,
    ok: boolean,
    rev: number,
    t: [number, number],
    cur?: Observed,
  ) {
    const out: KvOutput = { f: "cas", rev, succeeded: ok, cur: ok ? null : (cur ?? null) };
    return this.#add(c, { f: "cas", cmp: "rev", expect, value }, "ok", out, t);
  }
  casInfo(c: number, expect: string, value: string, t: [number, number]) {
    return this.#add(c, { f: "cas", cmp: "value", expect, value }, "info", null, t);
  }
}

describe("linearizability checker: linearizable histories pass", () => {
  it("sequential puts, gets, deletes and CAS", () => {
    const h = new H()
      .get(1, NONE, [0, 1])
      .put(1, "a", 2, NONE, [2, 3])
      .get(2, at("a", 2), [4, 5])
      .casValue(1, "a", "b", true, 3, [6, 7])
      .casRev(2, 3, "c", true, 4, [8, 9])
      .casRev(1, 3, "d", false, 4, [10, 11], at("c", 4))
      .casValue(2, "zz", "e", false, 4, [12, 13], at("c", 4))
      .del(1, 1, 5, at("c", 4), [14, 15])
      .del(2, 0, 5, NONE, [16, 17])
      .get(1, NONE, [18, 19]);
    const r = checkHistory(h.ops);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("concurrent operations may take effect in either order", () => {
    // put(b) overlaps both reads: one read sees a, the other b, in either real-time order.
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .put(2, "b", 3, at("a", 2), [2, 20])
      .get(3, at("b", 3), [3, 4])
      .get(4, at("b", 3), [5, 6])
      .get(5, at("b", 3), [21, 22]);
    expect(checkHistory(h.ops).ok).toBe(true);
  });

  it("an indeterminate write may take effect late, or never", () => {
    const late = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .putInfo(2, "x", [2, 3])
      .get(1, at("a", 2), [10, 11])
      .get(1, at("x", 3), [20, 21]);
    expect(checkHistory(late.ops).ok).toBe(true);
    const never = new H().put(1, "a", 2, NONE, [0, 1]).putInfo(2, "x", [2, 3]).get(1, at("a", 2), [10, 11]);
    expect(checkHistory(never.ops).ok).toBe(true);
    // An indeterminate CAS explains a failed CAS's different current value.
    const cas = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .casInfo(2, "a", "b", [2, 3])
      .casValue(1, "a", "c", false, 3, [10, 11], at("b", 3));
    expect(checkHistory(cas.ops).ok).toBe(true);
  });

  it("keys are independent", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1], "k1").put(2, "b", 3, NONE, [0, 1], "k2");
    h.get(1, at("a", 2), [2, 3], "k1").get(2, at("b", 3), [2, 3], "k2");
    expect(checkHistory(h.ops).keys.map((k) => k.outcome)).toEqual(["ok", "ok"]);
  });
});

describe("linearizability checker: anomalies are caught", () => {
  it("a stale read", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .put(1, "b", 3, at("a", 2), [2, 3])
      .get(2, at("a", 2), [4, 5]);
    const r = checkHistory(h.ops);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.kind).toBe("not-linearizable");
    expect(r.violations[0]!.explanation).toMatch(/get\(k\) → "a"@2/);
    expect(r.violations[0]!.opIds).toContain(2);
  });

  it("a lost write (an acknowledged put that a later read does not see)", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1]).put(2, "b", 3, at("a", 2), [2, 3]).get(3, NONE, [10, 11]);
    const r = checkHistory(h.ops);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.explanation).toMatch(/get\(k\) → absent/);
  });

  it("a doubly-applied CAS: two CAS from the same value both succeed", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .casValue(1, "a", "b", true, 3, [2, 10])
      .casValue(2, "a", "c", true, 4, [3, 11]);
    const r = checkHistory(h.ops);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.kind).toBe("not-linearizable");
  });

  it("a CAS applied twice: its value seen at two mod revisions", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .casRev(1, 2, "b", true, 3, [2, 3])
      .get(2, at("b", 3), [4, 5])
      .get(2, at("b", 5), [6, 7]);
    const r = checkHistory(h.ops);
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.kind).toBe("written-twice");
  });

  it("a CAS on a mod revision that no longer holds, reported as succeeded", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .put(1, "b", 3, at("a", 2), [2, 3])
      .casRev(2, 2, "c", true, 4, [4, 5]);
    expect(checkHistory(h.ops).ok).toBe(false);
  });

  it("a failed CAS whose compare held", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1]).casValue(2, "a", "b", false, 2, [2, 3], at("a", 2));
    expect(checkHistory(h.ops).ok).toBe(false);
  });

  it("a read of a value nobody wrote, and of a write that failed definitively", () => {
    const phantom = new H().put(1, "a", 2, NONE, [0, 1]).get(2, at("zz", 3), [2, 3]);
    expect(checkHistory(phantom.ops).violations[0]!.kind).toBe("phantom-value");
    const failed = new H().putFail(1, "a", [0, 1]).get(2, at("a", 2), [2, 3]);
    expect(checkHistory(failed.ops).violations[0]!.kind).toBe("failed-write-applied");
  });

  it("a delete that reports the wrong count", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1]).del(2, 0, 2, NONE, [2, 3]);
    expect(checkHistory(h.ops).ok).toBe(false);
  });

  it("an indeterminate write cannot take effect before it was invoked", () => {
    const h = new H().get(1, at("x", 2), [0, 1]).putInfo(2, "x", [5, 6]);
    expect(checkHistory(h.ops).ok).toBe(false);
  });

  it("an indeterminate write known not to have happened explains nothing", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .putInfo(2, "x", [2, 3])
      .casValue(1, "a", "c", false, 2, [10, 11]);
    expect(checkHistory(h.ops).ok).toBe(true);
    expect(checkHistory(h.ops, { neverApplied: new Set([1]) }).ok).toBe(false);
  });
});

describe("linearizability checker: indeterminate writes at scale", () => {
  it("many unread indeterminate puts and deletes do not blow up the search", () => {
    // 300 rounds; in each, a write that times out (never read) and a delete that times out, then
    // an acknowledged put and a read of it. Exponential without pruning and canonical ordering.
    const h = new H();
    let rev = 1;
    let prev: Observed = NONE;
    for (let round = 0; round < 300; round++) {
      const t = round * 10;
      h.putInfo(1, `lost-${round}`, [t, t + 1]);
      h.ops.push({ ...h.ops[0]!, id: h.ops.length, input: { f: "delete" }, invokeMs: t + 1 });
      rev++;
      h.put(2, `v${round}`, rev, prev, [t + 2, t + 3]);
      prev = at(`v${round}`, rev);
      h.get(3, prev, [t + 4, t + 5]);
    }
    const started = performance.now();
    const r = checkHistory(h.ops, { maxStepsPerKey: 2_000_000 });
    expect(r.keys[0]!.outcome).toBe("ok");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("an indeterminate write that someone read is never left out", () => {
    const h = new H().putInfo(1, "x", [0, 1]).get(2, at("x", 2), [5, 6]);
    expect(checkHistory(h.ops, { neverApplied: new Set([0]) }).ok).toBe(true);
  });

  it("gives up with unknown, not a verdict, when the budget runs out", () => {
    const h = new H();
    for (let c = 0; c < 40; c++) h.get(c, NONE, [0, 100]);
    h.put(99, "a", 2, NONE, [0, 100]).get(98, at("zz", 5), [200, 201]).put(97, "zz", 5, NONE, [150, 250]);
    const r = checkHistory(h.ops, { maxStepsPerKey: 10 });
    expect(r.ok).toBe(false);
    expect(r.unknownKeys).toEqual(["k"]);
  });
});

describe("linearizability checker: scale", () => {
  it("checks a long concurrent history quickly", () => {
    // 8 clients, rounds of concurrent puts followed by reads of the winner.
    const h = new H();
    let rev = 1;
    let last: Observed = NONE;
    for (let round = 0; round < 400; round++) {
      const t = round * 10;
      const before = last;
      for (let c = 0; c < 8; c++) {
        rev++;
        h.put(c, `v${round}-${c}`, rev, c === 0 ? before : at(`v${round}-${c - 1}`, rev - 1), [t, t + 5]);
      }
      last = at(`v${round}-7`, rev);
      h.get(9, last, [t + 6, t + 7]);
    }
    const started = performance.now();
    const r = checkHistory(h.ops);
    expect(r.ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("revision witness", () => {
  const put = (rev: number, key: string, value: string): StoreEvent => ({ rev, key, type: "put", value });
  const del = (rev: number, key: string): StoreEvent => ({ rev, key, type: "delete", value: null });
  const withRev = (h: H, i: number, rev: number): void => {
    const op = h.ops[i]!;
    if (op.output?.f === "get") op.output = { ...op.output, rev };
  };

  it("proves a history whose revisions fit the store and real time", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .get(2, at("a", 2), [2, 3])
      .casValue(1, "a", "b", true, 3, [4, 5])
      .casValue(2, "a", "c", false, 3, [6, 7], at("b", 3))
      .del(1, 1, 4, at("b", 3), [8, 9])
      .get(2, NONE, [10, 11]);
    withRev(h, 1, 2);
    withRev(h, 5, 4);
    const w = checkWitness(h.ops, [put(2, "k", "a"), put(3, "k", "b"), del(4, "k")], new Map());
    expect(w.problems).toEqual([]);
    expect(w.placed).toBe(6);
  });

  it("catches a read served at a revision older than a completed write", () => {
    const h = new H()
      .put(1, "a", 2, NONE, [0, 1])
      .put(1, "b", 3, at("a", 2), [2, 3])
      .get(2, at("a", 2), [4, 5]);
    withRev(h, 2, 2);
    const w = checkWitness(h.ops, [put(2, "k", "a"), put(3, "k", "b")], new Map());
    expect(w.ok).toBe(false);
    expect(w.problems[0]).toMatch(/revision went back/);
  });

  it("catches an answer the store's history contradicts", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1]).get(2, at("x", 2), [2, 3]);
    withRev(h, 1, 2);
    expect(checkWitness(h.ops, [put(2, "k", "a")], new Map()).problems[0]).toMatch(/read "x"@2/);
    const cas = new H().put(1, "a", 2, NONE, [0, 1]).casValue(2, "zz", "b", true, 3, [2, 3]);
    expect(checkWitness(cas.ops, [put(2, "k", "a"), put(3, "k", "b")], new Map()).ok).toBe(false);
  });

  it("places an indeterminate write the store holds, and checks when it was invoked", () => {
    const h = new H().put(1, "a", 2, NONE, [0, 1]).putInfo(2, "x", [5, 6]);
    expect(checkWitness(h.ops, [put(2, "k", "a"), put(3, "k", "x")], new Map([[1, 3]])).ok).toBe(true);
    const early = new H().get(1, at("x", 2), [0, 1]).putInfo(2, "x", [5, 6]);
    withRev(early, 0, 2);
    expect(checkWitness(early.ops, [put(2, "k", "x")], new Map([[1, 2]])).ok).toBe(false);
  });
});
