// apply()'s `answerable` callback: once a batch is applied in memory and before its LevelDB write,
// the results that need no value read back are handed out, so the node answers those writes
// without waiting for the store's batch. Reads already see memory at that point. Results that
// read a value back once written (prev_kv of a value not in memory) are not handed out early:
// they come with apply()'s returned map, complete.

import { afterEach, describe, expect, it } from "vitest";
import type { KvError, KvResult, PutResponse, RequestId } from "../../src/kv/index.js";
import { b, Harness, putReq, rangeReq, s } from "./helpers.js";

let h: Harness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

describe("apply(entries, answerable)", () => {
  it("hands out results before the batch is written, with the values readable in memory", async () => {
    h = await Harness.create();
    const sm = h.sm;
    const a = h.entry("put", putReq("a", "1"));
    const c = h.entry("put", putReq("c", "3"));
    let early: ReadonlyMap<RequestId, KvResult | KvError> | null = null;
    let seen: { applied: number; value: string } | null = null;
    const done = sm.apply([a, c], (results) => {
      early = results;
      const r = sm.range(rangeReq("a"));
      if (r instanceof Promise) throw new Error("a value just applied must be in memory");
      // The applied index moves once the batch is written: not yet.
      seen = { applied: sm.appliedIndex, value: s(r.kvs[0]!.value) };
    });
    // The callback ran synchronously, before apply() awaited its write.
    expect(early).not.toBeNull();
    const results = await done;
    expect([...early!.keys()]).toEqual([a.id, c.id]);
    expect((early!.get(a.id) as PutResponse).header?.revision).toBe(2);
    expect(seen).toEqual({ applied: 0, value: "1" });
    expect(sm.appliedIndex).toBe(c.index);
    // Every result also comes back from apply().
    expect([...results.keys()]).toEqual([a.id, c.id]);
  });

  it("keeps back a result whose prev_kv is read from disk once the batch is written", async () => {
    h = await Harness.create(undefined, { valueCacheBytes: 0 });
    await h.put("k", "old");
    const plain = h.entry("put", putReq("x", "1"));
    const withPrev = h.entry("put", putReq("k", "new", { prevKv: true }));
    let early: ReadonlyMap<RequestId, KvResult | KvError> | null = null;
    const results = await h.sm.apply([plain, withPrev], (r) => {
      early = r;
    });
    expect([...early!.keys()]).toEqual([plain.id]);
    const put = results.get(withPrev.id) as PutResponse;
    expect(put.prevKv?.value).toEqual(b("old"));
  });

  it("is not called for a batch with no results", async () => {
    h = await Harness.create();
    let calls = 0;
    await h.sm.apply([{ index: ++h.index, data: new Uint8Array(0) }], () => {
      calls++;
    });
    expect(calls).toBe(0);
  });
});
