// etcd Txn semantics: compares on keys and ranges, branches, nested txns, one revision per txn.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Compare, KvError, type TxnResponse } from "../../src/kv/index.js";
import {
  cmp,
  deleteReq,
  Harness,
  opDelete,
  opPut,
  opRange,
  opTxn,
  putReq,
  rangeReq,
  s,
  txnReq,
} from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
  await h.grant(3, 4); // leases take no revision
  await h.put("a", "1"); // rev 2
  await h.put("a", "2", { lease: 3 }); // rev 3: a version 2, create 2, mod 3, lease 3
  await h.put("b", "x"); // rev 4
  await h.put("c", "y"); // rev 5
});
afterEach(async () => {
  await h.close();
});

async function holds(...compare: Compare[]): Promise<boolean> {
  return (await h.txn(txnReq(compare))).succeeded;
}

describe("compare on one key", () => {
  it.each<[Compare, boolean]>([
    [cmp("a", "VALUE", "EQUAL", "2"), true],
    [cmp("a", "VALUE", "EQUAL", "1"), false],
    [cmp("a", "VALUE", "GREATER", "1"), true],
    [cmp("a", "VALUE", "LESS", "10"), false],
    [cmp("a", "VALUE", "LESS", "3"), true],
    [cmp("a", "VALUE", "NOT_EQUAL", "1"), true],
    [cmp("a", "VERSION", "EQUAL", 2), true],
    [cmp("a", "VERSION", "GREATER", 1), true],
    [cmp("a", "VERSION", "LESS", 2), false],
    [cmp("a", "CREATE", "EQUAL", 2), true],
    [cmp("a", "MOD", "EQUAL", 3), true],
    [cmp("a", "MOD", "NOT_EQUAL", 3), false],
    [cmp("a", "MOD", "LESS", 4), true],
    [cmp("a", "LEASE", "EQUAL", 3), true],
    [cmp("b", "LEASE", "EQUAL", 0), true],
    // a missing key compares as version 0, create 0, mod 0, lease 0 ...
    [cmp("zz", "VERSION", "EQUAL", 0), true],
    [cmp("zz", "CREATE", "EQUAL", 0), true],
    [cmp("zz", "MOD", "LESS", 1), true],
    [cmp("zz", "LEASE", "EQUAL", 0), true],
    [cmp("zz", "VERSION", "GREATER", 0), false],
    // ... and has no value: every VALUE compare on it fails
    [cmp("zz", "VALUE", "EQUAL", ""), false],
    [cmp("zz", "VALUE", "NOT_EQUAL", "x"), false],
  ])("%j -> %s", async (c, expected) => {
    expect(await holds(c)).toBe(expected);
  });

  it("a compare without target_union compares with the zero value", async () => {
    const c: Compare = {
      key: Buffer.from("zz"),
      target: "VERSION",
      result: "EQUAL",
      rangeEnd: Buffer.alloc(0),
    };
    expect(await holds(c)).toBe(true);
  });

  it("all compares must hold", async () => {
    expect(await holds(cmp("a", "VERSION", "EQUAL", 2), cmp("b", "VALUE", "EQUAL", "x"))).toBe(true);
    expect(await holds(cmp("a", "VERSION", "EQUAL", 2), cmp("b", "VALUE", "EQUAL", "nope"))).toBe(false);
  });
});

describe("compare on a range", () => {
  it.each<[Compare, boolean]>([
    [cmp("a", "VERSION", "GREATER", 0, "d"), true],
    [cmp("a", "VERSION", "EQUAL", 1, "d"), false], // a has version 2
    [cmp("b", "VERSION", "EQUAL", 1, "d"), true],
    [cmp("a", "MOD", "LESS", 6, "\0"), true],
    [cmp("a", "MOD", "LESS", 5, "\0"), false],
    [cmp("\0", "CREATE", "GREATER", 1, "\0"), true],
    [cmp("x", "VERSION", "EQUAL", 0, "z"), true], // empty range: the zero values
    [cmp("x", "VALUE", "EQUAL", "", "z"), false], // empty range: no value
    [cmp("b", "VALUE", "GREATER", "a", "d"), true],
  ])("%j -> %s", async (c, expected) => {
    expect(await holds(c)).toBe(expected);
  });
});

describe("branches and revisions", () => {
  it("runs success ops as one revision with sub-revisions", async () => {
    const r = await h.txn(
      txnReq(
        [cmp("a", "VALUE", "EQUAL", "2")],
        [opPut(putReq("a", "3", { prevKv: true })), opPut(putReq("n", "new")), opDelete(deleteReq("c"))],
        [opPut(putReq("f", "failed"))],
      ),
    );
    expect(r.succeeded).toBe(true);
    expect(r.header?.revision).toBe(6);
    expect(h.sm.revision).toBe(6);
    expect(r.responses.map((x) => x.response)).toEqual(["responsePut", "responsePut", "responseDeleteRange"]);
    expect(s(r.responses[0]!.responsePut!.prevKv!.value)).toBe("2");
    expect(r.responses[2]!.responseDeleteRange!.deleted).toBe(1);
    expect((await h.sm.rangeAt(rangeReq("a"))).kvs[0]).toMatchObject({ modRevision: 6, version: 3 });
    expect((await h.sm.rangeAt(rangeReq("n"))).kvs[0]).toMatchObject({
      modRevision: 6,
      createRevision: 6,
      version: 1,
    });
    expect(await h.keys("f")).toEqual([]);
    // sub-revisions are stored: the past is readable
    const past = await h.sm.rangeAt(rangeReq("c", "", { revision: 5 }));
    expect(past.kvs).toHaveLength(1);
  });

  it("runs failure ops when a compare fails", async () => {
    const r = await h.txn(
      txnReq([cmp("a", "VALUE", "EQUAL", "nope")], [opPut(putReq("s", "1"))], [opPut(putReq("f", "1"))]),
    );
    expect(r.succeeded).toBe(false);
    expect(await h.keys("s")).toEqual([]);
    expect(await h.keys("f")).toEqual(["f"]);
  });

  it("a read-only txn makes no revision", async () => {
    const r = await h.txn(txnReq([], [opRange(rangeReq("a"))]));
    expect(r.header?.revision).toBe(5);
    expect(h.sm.revision).toBe(5);
    expect(r.responses[0]!.responseRange!.kvs).toHaveLength(1);
  });

  it("a txn whose delete finds nothing makes no revision", async () => {
    const r = await h.txn(txnReq([], [opDelete(deleteReq("nothing"))]));
    expect(r.header?.revision).toBe(5);
    expect(h.sm.revision).toBe(5);
  });

  it("an empty txn succeeds", async () => {
    const r = await h.txn(txnReq([]));
    expect(r).toMatchObject({ succeeded: true, responses: [] });
  });

  it("reads inside the txn see its earlier writes", async () => {
    const r = await h.txn(
      txnReq(
        [],
        [
          opRange(rangeReq("a")),
          opPut(putReq("a", "in-txn")),
          opRange(rangeReq("a")),
          opDelete(deleteReq("b")),
          opRange(rangeReq("\0", "\0", { countOnly: true })),
        ],
      ),
    );
    const [before, , after, , count] = r.responses;
    expect(s(before!.responseRange!.kvs[0]!.value)).toBe("2");
    expect(before!.responseRange!.header?.revision).toBe(5);
    expect(s(after!.responseRange!.kvs[0]!.value)).toBe("in-txn");
    expect(after!.responseRange!.header?.revision).toBe(6);
    expect(count!.responseRange!.count).toBe(2);
  });

  it("a range pinned at the current revision sees the state before the txn", async () => {
    const r = await h.txn(
      txnReq([], [opPut(putReq("a", "new")), opRange(rangeReq("a", "", { revision: 5 }))]),
    );
    expect(s(r.responses[1]!.responseRange!.kvs[0]!.value)).toBe("2");
  });

  it("a range at a future or past revision inside a txn fails without writing", async () => {
    const future = await h.run(
      "txn",
      txnReq([], [opPut(putReq("z", "1")), opRange(rangeReq("a", "", { revision: 6 }))]),
    );
    expect(future).toMatchObject({ code: "RAFTKV_FUTURE_REVISION" });
    const past = await h.run(
      "txn",
      txnReq([], [opPut(putReq("z", "1")), opRange(rangeReq("a", "", { revision: 3 }))]),
    );
    expect(past).toMatchObject({ code: "RAFTKV_UNSUPPORTED", grpcCode: 12 });
    expect(h.sm.revision).toBe(5);
    expect(await h.keys("z")).toEqual([]);
  });

  it("put with ignore_value on a missing key fails the whole txn", async () => {
    const r = await h.run(
      "txn",
      txnReq([], [opPut(putReq("a", "ok")), opPut(putReq("missing", "", { ignoreValue: true }))]),
    );
    expect(r).toBeInstanceOf(KvError);
    expect((r as KvError).message).toBe("etcdserver: key not found");
    expect(s((await h.sm.rangeAt(rangeReq("a"))).kvs[0]!.value)).toBe("2");
    expect(h.sm.revision).toBe(5);
  });

  it("put with ignore_value / ignore_lease in a txn keeps the old value / lease", async () => {
    await h.txn(
      txnReq(
        [],
        [
          opPut(putReq("a", "", { ignoreValue: true, lease: 4 })),
          opPut(putReq("b", "z", { ignoreLease: true })),
        ],
      ),
    );
    expect((await h.sm.rangeAt(rangeReq("a"))).kvs[0]).toMatchObject({ lease: 4 });
    expect(s((await h.sm.rangeAt(rangeReq("a"))).kvs[0]!.value)).toBe("2");
    expect(s((await h.sm.rangeAt(rangeReq("b"))).kvs[0]!.value)).toBe("z");
  });
});

describe("nested txns", () => {
  it("evaluates nested compares against the state before the txn", async () => {
    const r: TxnResponse = await h.txn(
      txnReq(
        [],
        [
          opPut(putReq("b", "changed")),
          // b is "x" before the txn: etcd decides the nested branch before writing
          opTxn(
            txnReq(
              [cmp("b", "VALUE", "EQUAL", "x")],
              [opPut(putReq("t", "then"))],
              [opPut(putReq("e", "else"))],
            ),
          ),
        ],
      ),
    );
    const nested = r.responses[1]!.responseTxn!;
    expect(nested.succeeded).toBe(true);
    expect(await h.keys("t")).toEqual(["t"]);
    expect(await h.keys("e")).toEqual([]);
    expect((await h.sm.rangeAt(rangeReq("t"))).kvs[0]!.modRevision).toBe(6);
    expect(h.sm.revision).toBe(6);
  });

  it("runs nested failure branches and nested reads", async () => {
    const r = await h.txn(
      txnReq(
        [cmp("a", "VERSION", "EQUAL", 2)],
        [
          opTxn(
            txnReq(
              [cmp("c", "VERSION", "EQUAL", 5)],
              [],
              [opDelete(deleteReq("c", "", true)), opRange(rangeReq("c"))],
            ),
          ),
        ],
      ),
    );
    const nested = r.responses[0]!.responseTxn!;
    expect(nested.succeeded).toBe(false);
    expect(nested.responses[0]!.responseDeleteRange!.prevKvs).toHaveLength(1);
    expect(nested.responses[1]!.responseRange!.kvs).toHaveLength(0);
  });
});
