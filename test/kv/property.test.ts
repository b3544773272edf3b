// Property test: random writes, then random ranges (latest and past revisions) against a naive
// model of etcd's semantics; and the same state after a reopen and after a snapshot round trip.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PutResponse, RangeRequest, RangeResponse, SortOrder, SortTarget } from "../../src/kv/index.js";
import { cmp, deleteReq, Harness, opDelete, opPut, opRange, putReq, rangeReq, s, txnReq } from "./helpers.js";

interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
}
type State = Map<string, ModelKv>;

type WriteOp =
  | { op: "put"; key: string; value: string; prevKv: boolean }
  | { op: "del"; key: string; end: string }
  | { op: "txn"; key: string; version: number; put: string; del: string }
  // Txn: if key's value is `value`, put "c" at `put`; else read `put` (no change).
  | { op: "cas"; key: string; value: string; put: string }
  // Put with ignore_value: a new version of an existing key (an error, no change, when absent).
  | { op: "touch"; key: string };

const KEYS = ["\0", "\0\0", "a", "a\0", "ab", "abc", "b", "b\xff", "\xff", "c"];
const ENDS = ["", "\0", "a", "ab", "b", "c", "\xff", "\xff\xff"];

const key = fc.constantFrom(...KEYS);
const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("put" as const),
      key,
      value: fc.constantFrom("x", "y", "zz", ""),
      prevKv: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("cas" as const),
      key,
      value: fc.constantFrom("x", "y", "t", ""),
      put: key,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("touch" as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("del" as const), key, end: fc.constantFrom(...ENDS) }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ op: fc.constant("txn" as const), key, version: fc.nat(3), put: key, del: key })
      .filter((t) => t.put !== t.del),
  },
);

const rangeArb = fc.record({
  key: fc.constantFrom(...KEYS),
  end: fc.constantFrom(...ENDS),
  limit: fc.constantFrom(0, 1, 2, 5),
  sortOrder: fc.constantFrom<SortOrder>("NONE", "ASCEND", "DESCEND"),
  sortTarget: fc.constantFrom<SortTarget>("KEY", "VERSION", "CREATE", "MOD", "VALUE"),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minMod: fc.constantFrom(0, 3, 6),
  maxCreate: fc.constantFrom(0, 4, 9),
  revisionBack: fc.nat(40),
});

function inRange(k: string, key: string, end: string): boolean {
  if (end === "") return k === key;
  if (end === "\0") return k >= key;
  return k >= key && k < end;
}

class Model {
  state: State = new Map();
  revision = 1;
  history: State[] = [new Map(), new Map()]; // history[rev] = state at rev

  /** Applies w; returns the written key's previous version for a put (prev_kv). */
  apply(w: WriteOp): ModelKv | undefined {
    const before = w.op === "put" ? this.state.get(w.key) : undefined;
    const next = new Map(this.state);
    const rev = this.revision + 1;
    let changed = false;
    const put = (k: string, value: string) => {
      const prev = next.get(k);
      next.set(k, { value, create: prev?.create ?? rev, mod: rev, version: (prev?.version ?? 0) + 1 });
      changed = true;
    };
    const del = (k: string, end: string) => {
      for (const existing of [...next.keys()]) {
        if (inRange(existing, k, end)) {
          next.delete(existing);
          changed = true;
        }
      }
    };
    if (w.op === "put") put(w.key, w.value);
    else if (w.op === "del") del(w.key, w.end);
    else if (w.op === "cas") {
      if (this.state.get(w.key)?.value === w.value) put(w.put, "c");
    } else if (w.op === "touch") {
      const prev = this.state.get(w.key);
      if (prev !== undefined) put(w.key, prev.value);
    } else if ((this.state.get(w.key)?.version ?? 0) === w.version) put(w.put, "t");
    else del(w.del, "");
    if (changed) {
      this.state = next;
      this.revision = rev;
      this.history[rev] = next;
    }
    return before;
  }

  range(req: RangeRequest, end: string, at: State): Omit<RangeResponse, "header"> {
    const key = s(req.key);
    const all = [...at.entries()]
      .filter(([k]) => inRange(k, key, end))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const count = all.length;
    if (req.countOnly) return { kvs: [], more: false, count };
    const filtering = req.minModRevision !== 0 || req.maxCreateRevision !== 0;
    let picked = req.sortOrder !== "NONE" || filtering || req.limit <= 0 ? all : all.slice(0, req.limit + 1);
    picked = picked.filter(
      ([, kv]) =>
        (req.minModRevision === 0 || kv.mod >= req.minModRevision) &&
        (req.maxCreateRevision === 0 || kv.create <= req.maxCreateRevision),
    );
    let order = req.sortOrder;
    if (order === "NONE" && req.sortTarget !== "KEY") order = "ASCEND";
    if (order !== "NONE") {
      const field = (e: [string, ModelKv]): string | number =>
        ({ KEY: e[0], VERSION: e[1].version, CREATE: e[1].create, MOD: e[1].mod, VALUE: e[1].value })[
          req.sortTarget
        ];
      const sign = order === "ASCEND" ? 1 : -1;
      picked = [...picked].sort((a, b) => {
        const x = field(a);
        const y = field(b);
        return x < y ? -sign : x > y ? sign : 0;
      });
    }
    const more = req.limit > 0 && picked.length > req.limit;
    if (more) picked = picked.slice(0, req.limit);
    return {
      kvs: picked.map(([k, kv]) => ({
        key: Buffer.from(k, "latin1"),
        value: Buffer.from(req.keysOnly ? "" : kv.value, "latin1"),
        createRevision: kv.create,
        modRevision: kv.mod,
        version: kv.version,
        lease: 0,
      })),
      more,
      count,
    };
  }
}

function toRequest(w: WriteOp) {
  if (w.op === "put") return { kind: "put" as const, req: putReq(w.key, w.value, { prevKv: w.prevKv }) };
  if (w.op === "touch") return { kind: "put" as const, req: putReq(w.key, "", { ignoreValue: true }) };
  if (w.op === "cas") {
    return {
      kind: "txn" as const,
      req: txnReq(
        [cmp(w.key, "VALUE", "EQUAL", w.value)],
        [opPut(putReq(w.put, "c"))],
        [opRange(rangeReq(w.put))],
      ),
    };
  }
  if (w.op === "del") return { kind: "deleteRange" as const, req: deleteReq(w.key, w.end) };
  return {
    kind: "txn" as const,
    req: txnReq(
      [cmp(w.key, "VERSION", "EQUAL", w.version)],
      [opPut(putReq(w.put, "t"))],
      [opDelete(deleteReq(w.del))],
    ),
  };
}

const strip = ({ header: _header, ...rest }: RangeResponse) => rest;

describe("range matches a naive model", () => {
  it("at the latest and at past revisions, after reopen and after a snapshot", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeOp, { minLength: 1, maxLength: 30 }),
        fc.array(rangeArb, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 8 }),
        // Every value read from LevelDB, a cache that holds a few, the default.
        fc.constantFrom(0, 300, undefined),
        async (writes, ranges, batchSize, valueCacheBytes) => {
          const options = valueCacheBytes === undefined ? {} : { valueCacheBytes };
          const h = await Harness.create(undefined, options);
          const copy = await Harness.create(undefined, options);
          try {
            const model = new Model();
            for (let i = 0; i < writes.length; i += batchSize) {
              const batch = writes.slice(i, i + batchSize);
              const entries = batch.map((w) => {
                const { kind, req } = toRequest(w);
                return h.entry(kind, req as never);
              });
              const results = await h.sm.apply(entries);
              batch.forEach((w, j) => {
                const prev = model.apply(w);
                if (w.op !== "put" || !w.prevKv) return;
                const prevKv = (results.get(entries[j]!.id) as PutResponse).prevKv;
                expect(prevKv == null ? null : [s(prevKv.value), prevKv.version, prevKv.modRevision]).toEqual(
                  prev === undefined ? null : [prev.value, prev.version, prev.mod],
                );
              });
            }
            expect(h.sm.revision).toBe(model.revision);
            const check = async (sm: typeof h.sm) => {
              for (const r of ranges) {
                const revision = Math.max(0, model.revision - r.revisionBack);
                const req = rangeReq(r.key, r.end, {
                  limit: r.limit,
                  sortOrder: r.sortOrder,
                  sortTarget: r.sortTarget,
                  keysOnly: r.keysOnly,
                  countOnly: r.countOnly,
                  minModRevision: r.minMod,
                  maxCreateRevision: r.maxCreate,
                  revision,
                });
                const expected = model.range(
                  req,
                  r.end,
                  revision === 0 ? model.state : model.history[revision]!,
                );
                const actual = await sm.rangeAt(req);
                expect(strip(actual)).toEqual(expected);
                expect(actual.header?.revision).toBe(model.revision);
                if (revision === 0 || revision === model.revision)
                  expect(strip(await sm.rangeAt(req))).toEqual(expected);
              }
            };
            await check(h.sm);
            await h.reopen();
            await check(h.sm);
            await copy.sm.importSnapshot(h.sm.exportSnapshot(), h.sm.appliedIndex);
            expect(await copy.sm.hashKV()).toBe(await h.sm.hashKV());
            await check(copy.sm);
          } finally {
            await h.close();
            await copy.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
