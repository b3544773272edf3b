// Values live in LevelDB, the key index in memory, a bounded value cache in front: every read and
// every apply that needs a value gets the right one whether it is cached or not; the cache stays
// within its bound; reads see one consistent state while applies and compaction run; a watcher
// that wants prev_kv gets it from history when it was not in memory; an index written by an older
// store (12-byte "k" entries) still opens.

import { afterEach, describe, expect, it } from "vitest";
import { isKvError } from "../../src/kv/errors.js";
import type { Event } from "../../src/kv/index.js";
import { type Watcher, WatchHub, type WatchSink } from "../../src/kv/watch.js";
import { b, cmp, Harness, opPut, opRange, putReq, rangeReq, s, txnReq } from "./helpers.js";

const harnesses: Harness[] = [];
async function harness(valueCacheBytes?: number): Promise<Harness> {
  const h = await Harness.create(undefined, valueCacheBytes === undefined ? {} : { valueCacheBytes });
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.sm.close();
    await h.close();
  }
});

const value = (i: number): string => `value-${i}-`.padEnd(100, "v");

async function fill(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const entries = [];
    for (let j = i; j < Math.min(n, i + 50); j++) {
      entries.push(h.entry("put", putReq(`k${String(j).padStart(4, "0")}`, value(j))));
    }
    await h.sm.apply(entries);
  }
}

describe("values read from LevelDB (no cache)", () => {
  it("answers ranges, single gets and sorted reads with the stored values", async () => {
    const h = await harness(0);
    await fill(h, 300);
    expect(h.sm.memoryStats()).toMatchObject({ indexEntries: 300, cacheEntries: 0, cacheBytes: 0 });
    const one = h.sm.range(rangeReq("k0007"));
    expect(one).toBeInstanceOf(Promise); // nothing in memory: a disk read
    expect((await one).kvs.map((kv) => s(kv.value))).toEqual([value(7)]);
    const all = await h.sm.rangeAt(rangeReq("k", "l"));
    expect(all.kvs).toHaveLength(300);
    all.kvs.forEach((kv, i) => {
      expect(s(kv.value)).toBe(value(i));
    });
    const limited = await h.sm.rangeAt(
      rangeReq("k", "l", { limit: 5, sortOrder: "DESCEND", sortTarget: "VALUE" }),
    );
    // "value-99-" sorts after "value-299-": by value bytes, not by key.
    expect(limited.kvs.map((kv) => s(kv.key))).toEqual(["k0099", "k0098", "k0097", "k0096", "k0095"]);
    expect(limited.more).toBe(true);
    const keysOnly = h.sm.range(rangeReq("k", "l", { keysOnly: true }));
    expect(keysOnly).not.toBeInstanceOf(Promise); // keys only: no value read
    const counted = h.sm.range(rangeReq("k", "l", { countOnly: true }));
    expect(counted).not.toBeInstanceOf(Promise);
    expect((counted as { count: number }).count).toBe(300);
    expect(h.sm.memoryStats().cacheMisses).toBeGreaterThanOrEqual(301);
    expect(h.sm.memoryStats().cacheEntries).toBe(0);
  });

  it("applies VALUE compares, ignore_value, prev_kv and txn ranges from stored values", async () => {
    const h = await harness(0);
    await fill(h, 20);
    const cas = await h.txn(
      txnReq(
        [cmp("k0003", "VALUE", "EQUAL", value(3))],
        [opPut(putReq("k0003", "new", { prevKv: true })), opRange(rangeReq("k0001", "k0004"))],
      ),
    );
    expect(cas.succeeded).toBe(true);
    const [put, range] = cas.responses;
    expect(s(put!.responsePut!.prevKv!.value)).toBe(value(3));
    expect(range!.responseRange!.kvs.map((kv) => s(kv.value))).toEqual([value(1), value(2), "new"]);
    const failed = await h.txn(txnReq([cmp("k0004", "VALUE", "EQUAL", "other")], [opPut(putReq("x", "y"))]));
    expect(failed.succeeded).toBe(false);
    const touched = await h.put("k0005", "", { ignoreValue: true, prevKv: true });
    expect(s(touched.prevKv!.value)).toBe(value(5));
    expect((await h.sm.rangeAt(rangeReq("k0005"))).kvs[0]).toMatchObject({ version: 2, value: b(value(5)) });
    const deleted = await h.del("k0010", "k0013", true);
    expect(deleted.prevKvs.map((kv) => s(kv.value))).toEqual([value(10), value(11), value(12)]);
    // The same answers from a store with everything cached.
    const cached = await harness();
    await fill(cached, 20);
    await cached.txn(
      txnReq(
        [cmp("k0003", "VALUE", "EQUAL", value(3))],
        [opPut(putReq("k0003", "new", { prevKv: true })), opRange(rangeReq("k0001", "k0004"))],
      ),
    );
    await cached.txn(txnReq([cmp("k0004", "VALUE", "EQUAL", "other")], [opPut(putReq("x", "y"))]));
    await cached.put("k0005", "", { ignoreValue: true, prevKv: true });
    await cached.del("k0010", "k0013", true);
    expect(await h.sm.hashKV()).toBe(await cached.sm.hashKV());
  });
});

describe("the value cache", () => {
  it("stays within its bound and serves repeated reads from memory", async () => {
    const limit = 10_000;
    const h = await harness(limit);
    await fill(h, 400);
    const stats = h.sm.memoryStats();
    expect(stats.cacheBytes).toBeLessThanOrEqual(limit);
    expect(stats.cacheEntries).toBeGreaterThan(0);
    expect(stats.cacheEntries).toBeLessThan(400);
    // The newest writes are the cached ones: read synchronously.
    const recent = h.sm.range(rangeReq("k0399"));
    expect(recent).not.toBeInstanceOf(Promise);
    // An old key is read from disk once, then from memory.
    const misses = h.sm.memoryStats().cacheMisses;
    const first = h.sm.range(rangeReq("k0000"));
    expect(first).toBeInstanceOf(Promise);
    expect(s((await first).kvs[0]!.value)).toBe(value(0));
    expect(h.sm.memoryStats().cacheMisses).toBe(misses + 1);
    expect(h.sm.range(rangeReq("k0000"))).not.toBeInstanceOf(Promise);
    await h.sm.rangeAt(rangeReq("k", "l"));
    expect(h.sm.memoryStats().cacheBytes).toBeLessThanOrEqual(limit);
  });

  it("spares a value read since it was cached when it evicts, and drops an unread one", async () => {
    const limit = 10_000;
    const h = await harness(limit);
    await fill(h, 400);
    const cached = h.sm.memoryStats().cacheEntries;
    // The oldest cached keys: the first of the newest `cached` writes.
    const oldest = 400 - cached;
    const key = (i: number): string => `k${String(i).padStart(4, "0")}`;
    expect(h.sm.range(rangeReq(key(oldest)))).not.toBeInstanceOf(Promise);
    // Write a few new keys: eviction passes over the oldest (read) and the next (unread).
    for (let i = 0; i < 5; i++) await h.sm.apply([h.entry("put", putReq(`n${i}`, value(i)))]);
    expect(h.sm.range(rangeReq(key(oldest)))).not.toBeInstanceOf(Promise);
    expect(h.sm.range(rangeReq(key(oldest + 1)))).toBeInstanceOf(Promise);
    expect(h.sm.memoryStats().cacheBytes).toBeLessThanOrEqual(limit);
  });
});

describe("the value cache's memory", () => {
  it("keeps no more memory than its bound, the slabs its superseded values left holes in included", async () => {
    const limit = 64 * 1024;
    const h = await harness(limit);
    // Rarely written keys, each between many writes of one busy key: every rare value shares its
    // memory with superseded ones (the pattern of a Kubernetes store: leases churn, objects rest).
    const rare = 600;
    for (let i = 0; i < rare; i++) {
      const entries = [h.entry("put", putReq(`r${String(i).padStart(4, "0")}`, value(i)))];
      for (let j = 0; j < 20; j++) entries.push(h.entry("put", putReq("busy", value(j))));
      await h.sm.apply(entries);
    }
    // The memory behind every value the cache still holds, found through reads it answers
    // synchronously (a cached value is returned as it is held).
    const held = new Set<ArrayBufferLike>();
    let cached = 0;
    for (let i = 0; i < rare; i++) {
      const r = h.sm.range(rangeReq(`r${String(i).padStart(4, "0")}`));
      if (r instanceof Promise) continue;
      cached++;
      held.add(r.kvs[0]!.value.buffer);
    }
    expect(cached).toBeGreaterThan(20);
    let bytes = 0;
    for (const buffer of held) bytes += buffer.byteLength;
    expect(bytes).toBeLessThanOrEqual(limit);
    expect(h.sm.memoryStats().cacheBytes).toBeLessThanOrEqual(limit);
    expect(h.sm.memoryStats().cacheBytes).toBeGreaterThanOrEqual(bytes);
  });
});

describe("reads while a snapshot is installed", () => {
  it("answers none until the key index is rebuilt: never a part of the new state", async () => {
    const source = await harness();
    await fill(source, 3000);
    const chunks: Uint8Array[] = [];
    for await (const chunk of source.sm.exportSnapshot()) chunks.push(chunk);
    const target = await harness();
    await fill(target, 10);
    let done = false;
    const importing = target.sm.importSnapshot(
      (async function* () {
        yield* chunks;
      })(),
    );
    void importing.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    // Read at every turn of the event loop until the import resolves: each read either fails
    // (the store is being replaced) or sees all 3000 keys; never a part of them.
    const partial: number[] = [];
    let refused = 0;
    while (!done) {
      try {
        const r = await target.sm.range(rangeReq("k", "l"));
        if (r.kvs.length !== 3000 && r.header?.revision === source.sm.revision) partial.push(r.kvs.length);
      } catch (err) {
        // Refused while importing, with an error clients retry elsewhere (UNAVAILABLE).
        if (!isKvError(err, "RAFTKV_INSTALLING_SNAPSHOT")) throw err;
        refused++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await importing;
    expect(partial).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect((await target.sm.range(rangeReq("k", "l"))).kvs).toHaveLength(3000);
  });
});

describe("consistency while applies and compaction run", () => {
  it("a read sees the state it scanned even when the versions are superseded and compacted meanwhile", async () => {
    const h = await harness(0);
    await fill(h, 100);
    const pending = h.sm.rangeAt(rangeReq("k", "l"));
    // Before the read's values arrive: overwrite every key, compact past it, remove the history.
    const entries = [];
    for (let j = 0; j < 100; j++)
      entries.push(h.entry("put", putReq(`k${String(j).padStart(4, "0")}`, "later")));
    await h.sm.apply(entries);
    await h.sm.apply([h.entry("compaction", { revision: h.sm.revision, physical: true })]);
    await h.sm.waitCompaction(h.sm.revision);
    const seen = await pending;
    expect(seen.header?.revision).toBe(101); // one revision per put
    seen.kvs.forEach((kv, i) => {
      expect(s(kv.value)).toBe(value(i));
    });
    expect((await h.sm.rangeAt(rangeReq("k0000"))).kvs[0]!.value).toEqual(b("later"));
  });

  it("hashKV covers the state of the revision it reports", async () => {
    const h = await harness(0);
    await fill(h, 60);
    const before = await h.sm.hashKVAt();
    expect(before.revision).toBe(h.sm.revision);
    const applying = h.sm.apply([h.entry("put", putReq("k0001", "changed"))]);
    const during = await h.sm.hashKVAt();
    await applying;
    const after = await h.sm.hashKVAt();
    expect(during).toEqual(after); // it waited for the apply in progress
    expect(after.hash).not.toBe(before.hash);
  });
});

class Recorder implements WatchSink {
  readonly events: { key: string; value: string; prev: string | null; rev: number }[] = [];
  deliver(_w: Watcher, events: Event[]): void {
    for (const e of events) {
      this.events.push({
        key: s(e.kv!.key),
        value: s(e.kv!.value),
        prev: e.prevKv === null ? null : s(e.prevKv.value),
        rev: e.kv!.modRevision,
      });
    }
  }
  ended(): void {}
  progress(): void {}
  ready(): boolean {
    return true;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe("watch prev_kv of values not in memory", () => {
  it("a prev_kv watcher gets every event once, in order, with the previous values", async () => {
    const h = await harness(0);
    await fill(h, 10);
    const hub = new WatchHub(h.sm, { historyBatchRecords: 4 });
    try {
      const withPrev = new Recorder();
      const plain = new Recorder();
      const spec = {
        key: b("k"),
        rangeEnd: b("l"),
        startRevision: 0,
        noPut: false,
        noDelete: false,
        progressNotify: false,
      };
      hub.watch({ ...spec, prevKv: true }, withPrev);
      hub.watch({ ...spec, prevKv: false }, plain);
      await h.put("k0001", "a"); // prev not in memory: replayed from history
      await h.put("k0001", "b"); // prev written and evicted: replayed too
      await h.del("k0002", "", false);
      await h.sm.apply([
        h.entry("put", putReq("k0003", "c")),
        h.entry("put", putReq("k0003", "d")), // prev pinned in the same batch
      ]);
      const expected = [
        { key: "k0001", value: "a", prev: value(1) },
        { key: "k0001", value: "b", prev: "a" },
        { key: "k0002", value: "", prev: value(2) },
        { key: "k0003", value: "c", prev: value(3) },
        { key: "k0003", value: "d", prev: "c" },
      ];
      await until("the prev_kv watcher to catch up", () => withPrev.events.length >= expected.length);
      expect(withPrev.events.map(({ rev: _rev, ...e }) => e)).toEqual(expected);
      expect(withPrev.events.map((e) => e.rev)).toEqual([12, 13, 14, 15, 16]);
      expect(plain.events.map((e) => [e.key, e.value, e.prev])).toEqual(
        expected.map((e) => [e.key, e.value, null]),
      );
    } finally {
      hub.close();
    }
  });
});

describe("opening", () => {
  it("rebuilds the index from the key entries alone, and still opens an older store's 12-byte entries", async () => {
    const h = await harness(0);
    await fill(h, 120);
    await h.put("k0005", "", { ignoreValue: true });
    await h.grant(7);
    await h.put("k0006", "leased", { lease: 7 });
    await h.del("k0100", "k0110");
    const hash = await h.sm.hashKV();
    const bytes = h.sm.approximateBytes();
    const readAll = async () => (await h.sm.rangeAt(rangeReq("k", "l"))).kvs;
    const all = await readAll();
    await h.reopen();
    expect(await readAll()).toEqual(all);
    expect(h.sm.approximateBytes()).toBe(bytes);
    // Rewrite every "k" entry the way an older store held it: the 12-byte revision only.
    const kv = h.db.sublevel<Buffer, Buffer>("kv", { keyEncoding: "buffer", valueEncoding: "buffer" });
    const entries = await kv.iterator({ gte: b("k"), lt: b("l") }).all();
    expect(entries.every(([, v]) => v.length === 40)).toBe(true);
    await kv.batch(entries.map(([k, v]) => ({ type: "put" as const, key: k, value: v.subarray(0, 12) })));
    await h.reopen();
    expect(await readAll()).toEqual(all);
    expect(await h.sm.hashKV()).toBe(hash);
    expect(h.sm.approximateBytes()).toBe(bytes);
    expect(h.sm.lease(7)).toBeDefined();
    // Deleting the leased key's lease deletes the key: the attachment came back from the index.
    await h.run("leaseRevoke", { ID: 7 });
    expect((await h.sm.rangeAt(rangeReq("k0006"))).kvs).toEqual([]);
  });
});
