import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KeyValue, KvError } from "../../src/kv/index.js";
import { b, Harness, putReq, rangeReq, s } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

const summary = (kv: KeyValue | null | undefined) =>
  kv
    ? {
        key: s(kv.key),
        value: s(kv.value),
        c: kv.createRevision,
        m: kv.modRevision,
        v: kv.version,
        lease: kv.lease,
      }
    : kv;

describe("put", () => {
  it("starts at revision 1 and gives each put a new revision", async () => {
    expect(h.sm.revision).toBe(1);
    const r1 = await h.put("a", "1");
    expect(r1.header?.revision).toBe(2);
    expect(r1.prevKv).toBeNull();
    const r2 = await h.put("b", "2");
    expect(r2.header?.revision).toBe(3);
    expect(h.sm.revision).toBe(3);
    expect(h.sm.appliedIndex).toBe(2);
  });

  it("tracks create revision, mod revision and version", async () => {
    await h.put("a", "1");
    await h.put("a", "2");
    await h.put("a", "3");
    const [kv] = (await h.sm.rangeAt({ ...rangeOf("a") })).kvs;
    expect(summary(kv)).toEqual({ key: "a", value: "3", c: 2, m: 4, v: 3, lease: 0 });
  });

  it("returns prev_kv only when asked and present", async () => {
    expect((await h.put("a", "1", { prevKv: true })).prevKv).toBeNull();
    const r = await h.put("a", "2", { prevKv: true });
    expect(summary(r.prevKv)).toEqual({ key: "a", value: "1", c: 2, m: 2, v: 1, lease: 0 });
    expect((await h.put("a", "3")).prevKv).toBeNull();
  });

  it("keeps value or lease with ignore_value / ignore_lease", async () => {
    await h.grant(7, 9);
    await h.put("a", "1", { lease: 7 });
    await h.put("a", "", { ignoreValue: true, lease: 9 });
    expect(summary((await h.sm.rangeAt(rangeOf("a"))).kvs[0])).toMatchObject({ value: "1", lease: 9, v: 2 });
    await h.put("a", "x", { ignoreLease: true });
    expect(summary((await h.sm.rangeAt(rangeOf("a"))).kvs[0])).toMatchObject({ value: "x", lease: 9, v: 3 });
  });

  it("fails ignore_value / ignore_lease on a missing key without a new revision", async () => {
    for (const extra of [{ ignoreValue: true }, { ignoreLease: true }]) {
      const r = await h.run("put", { ...putOf("missing", ""), ...extra });
      expect(r).toBeInstanceOf(KvError);
      expect((r as KvError).message).toBe("etcdserver: key not found");
      expect((r as KvError).grpcCode).toBe(3);
    }
    expect(h.sm.revision).toBe(1);
    expect(h.sm.appliedIndex).toBe(2);
  });

  it("checks leases with the lease hook", async () => {
    await h.close();
    h = await Harness.create();
    const { KvStateMachine } = await import("../../src/kv/index.js");
    h.sm = await KvStateMachine.open(
      h.db.sublevel<Buffer, Buffer>("other", { keyEncoding: "buffer", valueEncoding: "buffer" }),
      {
        leaseExists: (id) => id === 5,
      },
    );
    h.index = 0;
    expect(await h.run("put", putOf("a", "1", { lease: 6 }))).toMatchObject({
      code: "RAFTKV_LEASE_NOT_FOUND",
      grpcCode: 5,
    });
    expect(await h.run("put", putOf("a", "1", { lease: 5 }))).not.toBeInstanceOf(KvError);
  });
});

describe("delete", () => {
  it("deletes a key, returns prev_kvs, resets version, re-create starts a new generation", async () => {
    await h.put("a", "1");
    await h.put("a", "2");
    const d = await h.del("a", "", true);
    expect(d.deleted).toBe(1);
    expect(d.header?.revision).toBe(4);
    expect(d.prevKvs.map(summary)).toEqual([{ key: "a", value: "2", c: 2, m: 3, v: 2, lease: 0 }]);
    expect((await h.sm.rangeAt(rangeOf("a"))).kvs).toEqual([]);
    await h.put("a", "3");
    expect(summary((await h.sm.rangeAt(rangeOf("a"))).kvs[0])).toEqual({
      key: "a",
      value: "3",
      c: 5,
      m: 5,
      v: 1,
      lease: 0,
    });
  });

  it("deleting nothing makes no revision", async () => {
    await h.put("a", "1");
    const d = await h.del("zzz", "", true);
    expect(d).toMatchObject({ deleted: 0, prevKvs: [] });
    expect(d.header?.revision).toBe(2);
    expect(h.sm.revision).toBe(2);
  });

  it("deletes ranges, prefixes and everything; one revision for many keys", async () => {
    for (const k of ["a", "ab", "abc", "b", "c"]) await h.put(k, k);
    const d = await h.del("ab", "ac");
    expect(d.deleted).toBe(2);
    expect(d.prevKvs).toEqual([]);
    expect(d.header?.revision).toBe(7);
    expect(await h.keys("\0", "\0")).toEqual(["a", "b", "c"]);
    expect((await h.del("b", "\0")).deleted).toBe(2);
    expect(await h.keys("\0", "\0")).toEqual(["a"]);
    expect((await h.del("\0", "\0")).deleted).toBe(1);
    expect(h.sm.size).toBe(0);
  });
});

describe("compaction", () => {
  it("compacts, refuses compacted and future revisions", async () => {
    await h.put("a", "1");
    await h.put("a", "2");
    expect(await h.run("compaction", { revision: 9, physical: false })).toMatchObject({
      code: "RAFTKV_FUTURE_REVISION",
      grpcCode: 11,
      message: "etcdserver: mvcc: required revision is a future revision",
    });
    const r = await h.run("compaction", { revision: 2, physical: false });
    expect(r).toMatchObject({ header: { revision: 3 } });
    expect(h.sm.compactedRevision).toBe(2);
    expect(await h.run("compaction", { revision: 2, physical: false })).toMatchObject({
      code: "RAFTKV_COMPACTED",
      message: "etcdserver: mvcc: required revision has been compacted",
    });
    expect(() => h.sm.range(rangeOf("a", { revision: 1 }))).toThrow("required revision has been compacted");
    expect(() => h.sm.range(rangeOf("a", { revision: 4 }))).toThrow("required revision is a future revision");
  });
});

describe("apply", () => {
  it("treats empty entries as no-ops; lease commands take no revision", async () => {
    const grant = h.entry("leaseGrant", { TTL: 5, ID: 1 });
    const results = await h.sm.apply([
      { index: 1, data: new Uint8Array(0) },
      { index: 2, data: grant.data },
    ]);
    expect(results.size).toBe(1);
    expect(results.get(grant.id)).toMatchObject({ ID: 1, TTL: 5 });
    expect(h.sm.appliedIndex).toBe(2);
    expect(h.sm.revision).toBe(1);
  });

  it("applies a batch in order, one result per command", async () => {
    h.index = 0;
    const e1 = h.entry("put", putOf("a", "1"));
    const e2 = h.entry("put", putOf("a", "2", { prevKv: true }));
    const e3 = h.entry("deleteRange", { key: b("a"), rangeEnd: b(""), prevKv: false });
    const results = await h.sm.apply([e1, e2, e3]);
    expect(results.get(e1.id)).toMatchObject({ header: { revision: 2 } });
    expect(summary((results.get(e2.id) as { prevKv: KeyValue }).prevKv)).toMatchObject({ value: "1" });
    expect(results.get(e3.id)).toMatchObject({ deleted: 1, header: { revision: 4 } });
    expect(h.sm.appliedIndex).toBe(3);
  });

  it("refuses entries out of order", async () => {
    const e1 = h.entry("put", putOf("a", "1"));
    const e2 = h.entry("put", putOf("a", "2"));
    await expect(h.sm.apply([e2, e1])).rejects.toThrow("applied after");
  });
});

function rangeOf(key: string, extra = {}) {
  return rangeReq(key, "", extra);
}
function putOf(key: string, value: string, extra = {}) {
  return putReq(key, value, extra);
}
