// etcd Range semantics, option by option.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyValue, RangeRequest } from "../../src/kv/index.js";
import { Harness, rangeReq, s } from "./helpers.js";

let h: Harness;

// Revisions: a=2 (then a=8, version 2), ab=3, abc=4, b=5, c=6, "\x00x"=7 ... see beforeAll.
beforeAll(async () => {
  h = await Harness.create();
  await h.put("a", "v-a1"); // 2
  await h.put("ab", "zz"); // 3
  await h.put("abc", "m"); // 4
  await h.put("b", "aa"); // 5
  await h.put("c", "c"); // 6
  await h.put("\x00x", "zero"); // 7
  await h.put("a", "v-a2"); // 8: a version 2, mod 8, create 2
  await h.put("d\xff", "high"); // 9
  await h.put("b", "ab"); // 10: b version 2
  await h.put("b", "ac"); // 11: b version 3
});
afterAll(async () => {
  await h.close();
});

const keysOf = (kvs: KeyValue[]) => kvs.map((kv) => s(kv.key));
const range = (key: string, rangeEnd = "", extra: Partial<RangeRequest> = {}) =>
  h.sm.rangeAt(rangeReq(key, rangeEnd, extra));

describe("range keys", () => {
  it.each([
    ["single key", "a", "", ["a"]],
    ["missing single key", "zz", "", []],
    ["[a, b)", "a", "b", ["a", "ab", "abc"]],
    ["prefix ab", "ab", "ac", ["ab", "abc"]],
    ["from key (range_end \\0)", "b", "\0", ["b", "c", "d\xff"]],
    ["everything (\\0, \\0)", "\0", "\0", ["\x00x", "a", "ab", "abc", "b", "c", "d\xff"]],
    ["end before key", "c", "a", []],
    ["end equals key", "c", "c", []],
    ["binary keys sort by bytes", "d", "e", ["d\xff"]],
    ["prefix \\0", "\0", "\x01", ["\x00x"]],
  ])("%s", async (_name, key, rangeEnd, expected) => {
    const r = await range(key, rangeEnd);
    expect(keysOf(r.kvs)).toEqual(expected);
    expect(r.count).toBe(expected.length);
    expect(r.more).toBe(false);
    expect(r.header?.revision).toBe(11);
  });
});

describe("limit, count and more", () => {
  it("limits, counts all and sets more", async () => {
    const r = await range("\0", "\0", { limit: 3 });
    expect(keysOf(r.kvs)).toEqual(["\x00x", "a", "ab"]);
    expect(r.count).toBe(7);
    expect(r.more).toBe(true);
  });

  it("more is false when the limit is exactly the count", async () => {
    const r = await range("a", "b", { limit: 3 });
    expect(r.kvs).toHaveLength(3);
    expect(r.more).toBe(false);
  });

  it("a negative limit is no limit", async () => {
    expect((await range("\0", "\0", { limit: -1 })).kvs).toHaveLength(7);
  });

  it("count_only returns no kvs and the full count", async () => {
    const r = await range("\0", "\0", { countOnly: true, limit: 1 });
    expect(r).toMatchObject({ kvs: [], count: 7, more: false });
  });

  it("keys_only returns empty values, other fields intact", async () => {
    const r = await range("a", "", { keysOnly: true });
    expect(r.kvs[0]).toMatchObject({ createRevision: 2, modRevision: 8, version: 2 });
    expect(r.kvs[0]!.value.length).toBe(0);
    // the store is untouched
    expect(s((await range("a")).kvs[0]!.value)).toBe("v-a2");
  });
});

describe("sort", () => {
  it.each<[string, Partial<RangeRequest>, string[]]>([
    ["default: ascending key", {}, ["a", "ab", "abc", "b", "c"]],
    ["ASCEND KEY", { sortOrder: "ASCEND", sortTarget: "KEY" }, ["a", "ab", "abc", "b", "c"]],
    ["DESCEND KEY", { sortOrder: "DESCEND", sortTarget: "KEY" }, ["c", "b", "abc", "ab", "a"]],
    ["NONE VERSION means ascend", { sortOrder: "NONE", sortTarget: "VERSION" }, ["ab", "abc", "c", "a", "b"]],
    ["DESCEND VERSION", { sortOrder: "DESCEND", sortTarget: "VERSION" }, ["b", "a", "ab", "abc", "c"]],
    ["ASCEND CREATE", { sortOrder: "ASCEND", sortTarget: "CREATE" }, ["a", "ab", "abc", "b", "c"]],
    ["DESCEND CREATE", { sortOrder: "DESCEND", sortTarget: "CREATE" }, ["c", "b", "abc", "ab", "a"]],
    ["ASCEND MOD", { sortOrder: "ASCEND", sortTarget: "MOD" }, ["ab", "abc", "c", "a", "b"]],
    ["DESCEND MOD", { sortOrder: "DESCEND", sortTarget: "MOD" }, ["b", "a", "c", "abc", "ab"]],
    ["ASCEND VALUE", { sortOrder: "ASCEND", sortTarget: "VALUE" }, ["b", "c", "abc", "a", "ab"]],
    ["DESCEND VALUE", { sortOrder: "DESCEND", sortTarget: "VALUE" }, ["ab", "a", "abc", "c", "b"]],
  ])("%s", async (_name, extra, expected) => {
    expect(keysOf((await range("a", "d", extra)).kvs)).toEqual(expected);
  });

  it("sorts before limiting when sort_order is set", async () => {
    const r = await range("a", "d", { sortOrder: "DESCEND", sortTarget: "KEY", limit: 2 });
    expect(keysOf(r.kvs)).toEqual(["c", "b"]);
    expect(r).toMatchObject({ more: true, count: 5 });
  });

  it("with sort_order NONE and another target, etcd sorts only the first limit+1 keys", async () => {
    // fetch a, ab, abc (limit 2 + 1), sort by version ascending: ab(1), abc(1), a(2); keep 2.
    const r = await range("a", "d", { sortTarget: "VERSION", limit: 2 });
    expect(keysOf(r.kvs)).toEqual(["ab", "abc"]);
    expect(r.more).toBe(true);
  });
});

describe("revision filters", () => {
  it.each<[string, Partial<RangeRequest>, string[]]>([
    ["min_mod_revision", { minModRevision: 6 }, ["a", "b", "c"]],
    ["max_mod_revision", { maxModRevision: 4 }, ["ab", "abc"]],
    ["min_create_revision", { minCreateRevision: 4 }, ["abc", "b", "c"]],
    ["max_create_revision", { maxCreateRevision: 3 }, ["a", "ab"]],
    ["mod window", { minModRevision: 4, maxModRevision: 8 }, ["a", "abc", "c"]],
  ])("%s", async (_name, extra, expected) => {
    const r = await range("a", "d", extra);
    expect(keysOf(r.kvs)).toEqual(expected);
    // count ignores the filters, as in etcd
    expect(r.count).toBe(5);
  });

  it("filters before limiting", async () => {
    const r = await range("a", "d", { minModRevision: 6, limit: 1 });
    expect(keysOf(r.kvs)).toEqual(["a"]);
    expect(r.more).toBe(true);
  });
});

describe("revision", () => {
  it("reads the latest at 0 and at the current revision", async () => {
    expect(keysOf((await range("a", "b", { revision: 11 })).kvs)).toEqual(["a", "ab", "abc"]);
  });

  it("refuses a future revision", async () => {
    await expect(range("a", "", { revision: 12 })).rejects.toThrow(
      expect.objectContaining({ code: "RAFTKV_FUTURE_REVISION", grpcCode: 11 }),
    );
  });

  it("sends a past revision to rangeAt", async () => {
    expect(() => h.sm.range(rangeReq("a", "", { revision: 5 }))).toThrow(TypeError);
    const r = await h.sm.rangeAt(rangeReq("a", "", { revision: 5 }));
    expect(r.kvs.map((kv) => [s(kv.value), kv.version, kv.modRevision])).toEqual([["v-a1", 1, 2]]);
    expect(r.header?.revision).toBe(11);
  });

  it.each<[number, string, string, Partial<RangeRequest>, string[]]>([
    [1, "\0", "\0", {}, []],
    [2, "\0", "\0", {}, ["a"]],
    [4, "a", "b", {}, ["a", "ab", "abc"]],
    [7, "\0", "\0", {}, ["\x00x", "a", "ab", "abc", "b", "c"]],
    [7, "\0", "\0", { limit: 2 }, ["\x00x", "a"]],
    [10, "b", "", {}, ["b"]],
    [4, "b", "", {}, []],
    [9, "a", "d", { sortOrder: "DESCEND", sortTarget: "MOD" }, ["a", "c", "b", "abc", "ab"]],
  ])("rangeAt revision %i [%j, %j) %j", async (revision, key, end, extra, expected) => {
    const r = await h.sm.rangeAt(rangeReq(key, end, { ...extra, revision }));
    expect(keysOf(r.kvs)).toEqual(expected);
  });

  it("rangeAt counts and reports more at a past revision", async () => {
    const r = await h.sm.rangeAt(rangeReq("\0", "\0", { revision: 7, limit: 2 }));
    expect(r).toMatchObject({ count: 6, more: true });
    const c = await h.sm.rangeAt(rangeReq("\0", "\0", { revision: 7, countOnly: true }));
    expect(c).toMatchObject({ count: 6, kvs: [] });
  });
});
