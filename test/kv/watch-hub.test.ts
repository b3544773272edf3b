// The watch hub over a real KvStateMachine on LevelDB: live delivery, replay from history then
// live with nothing lost or repeated, filters, prev_kv, compacted starts, bounded replay, a
// snapshot import under synced watchers, progress notifications.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Event } from "../../src/kv/index.js";
import {
  WatchHub as Hub,
  type Watcher,
  type WatchHub,
  type WatchSink,
  type WatchSpec,
} from "../../src/kv/watch.js";
import { b, Harness, s } from "./helpers.js";

interface Seen {
  type: string;
  key: string;
  value: string;
  rev: number;
  prev: string | null;
}

/** A sink that records everything; `isReady` gates replay. */
class Recorder implements WatchSink {
  events: Seen[] = [];
  responses: { revision: number; count: number }[] = [];
  ends: { compactRevision: number; reason: string }[] = [];
  progressed: number[] = [];
  syncs = 0;
  isReady = true;

  deliver(_w: Watcher, events: Event[], revision: number): void {
    this.responses.push({ revision, count: events.length });
    for (const e of events) {
      this.events.push({
        type: e.type,
        key: s(e.kv!.key),
        value: s(e.kv!.value),
        rev: e.kv!.modRevision,
        prev: e.prevKv === null ? null : s(e.prevKv.value),
      });
    }
  }
  ended(_w: Watcher, compactRevision: number, reason: string): void {
    this.ends.push({ compactRevision, reason });
  }
  progress(_w: Watcher, revision: number): void {
    this.progressed.push(revision);
  }
  synced(): void {
    this.syncs++;
  }
  ready(): boolean {
    return this.isReady;
  }
}

function spec(key: string, extra: Partial<WatchSpec> = {}): WatchSpec {
  return {
    key: b(key),
    rangeEnd: b(""),
    startRevision: 0,
    prevKv: false,
    noPut: false,
    noDelete: false,
    progressNotify: false,
    ...extra,
  };
}

const prefix = (p: string, extra: Partial<WatchSpec> = {}): WatchSpec =>
  spec(p, { rangeEnd: b(p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1)), ...extra });

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

let h: Harness;
let hub: WatchHub;
beforeEach(async () => {
  h = await Harness.create();
  hub = new Hub(h.sm, { historyBatchRecords: 3 });
});
afterEach(async () => {
  hub.close();
  await h.sm.close();
  await h.close();
});

describe("live delivery", () => {
  it("hands each applied event to the watchers whose key or range covers it, in order", async () => {
    const one = new Recorder();
    const range = new Recorder();
    hub.watch(spec("a/1"), one);
    hub.watch(prefix("a/"), range);
    await h.put("a/1", "x"); // rev 2
    await h.put("b", "y"); // rev 3: nobody
    await h.put("a/2", "z"); // rev 4
    await h.del("a/", "a0"); // rev 5: both keys
    expect(one.events).toEqual([
      { type: "PUT", key: "a/1", value: "x", rev: 2, prev: null },
      { type: "DELETE", key: "a/1", value: "", rev: 5, prev: null },
    ]);
    expect(range.events.map((e) => `${e.type} ${e.key}@${e.rev}`)).toEqual([
      "PUT a/1@2",
      "PUT a/2@4",
      "DELETE a/1@5",
      "DELETE a/2@5",
    ]);
    expect(hub.revision).toBe(5);
  });

  it("filters puts or deletes and adds prev_kv only when asked", async () => {
    const noPut = new Recorder();
    const noDelete = new Recorder();
    const withPrev = new Recorder();
    hub.watch(spec("k", { noPut: true }), noPut);
    hub.watch(spec("k", { noDelete: true }), noDelete);
    hub.watch(spec("k", { prevKv: true }), withPrev);
    await h.put("k", "1");
    await h.put("k", "2");
    await h.del("k");
    expect(noPut.events.map((e) => e.type)).toEqual(["DELETE"]);
    expect(noDelete.events.map((e) => [e.value, e.prev])).toEqual([
      ["1", null],
      ["2", null],
    ]);
    expect(withPrev.events.map((e) => [e.type, e.value, e.prev])).toEqual([
      ["PUT", "1", null],
      ["PUT", "2", "1"],
      ["DELETE", "", "2"],
    ]);
  });

  it("a canceled watcher gets nothing more", async () => {
    const r = new Recorder();
    const w = hub.watch(spec("k"), r);
    await h.put("k", "1");
    hub.cancel(w);
    await h.put("k", "2");
    expect(r.events.map((e) => e.value)).toEqual(["1"]);
    expect(hub.size).toBe(0);
  });

  it("a future start revision waits for it", async () => {
    const r = new Recorder();
    hub.watch(spec("k", { startRevision: 4 }), r);
    await h.put("k", "1"); // 2
    await h.put("k", "2"); // 3
    await h.put("k", "3"); // 4
    expect(r.events.map((e) => e.rev)).toEqual([4]);
  });
});

describe("replay from history, then live", () => {
  it("delivers every revision from the start exactly once while writes keep coming", async () => {
    for (let i = 0; i < 20; i++) await h.put(`k${i % 4}`, `v${i}`); // revs 2..21
    const r = new Recorder();
    const w = hub.watch(prefix("k", { startRevision: 5 }), r);
    expect(hub.isSynced(w)).toBe(false);
    // Writes race the replay (slices of 3 records): each revision still arrives once, in order.
    for (let i = 20; i < 40; i++) await h.put(`k${i % 4}`, `v${i}`); // revs 22..41
    await until("the watcher to sync", () => hub.isSynced(w));
    await h.put("k0", "last"); // 42, live
    expect(r.events.map((e) => e.rev)).toEqual(Array.from({ length: 38 }, (_, i) => i + 5));
    expect(r.events.at(-1)).toMatchObject({ value: "last", rev: 42 });
    expect(r.syncs).toBe(1);
    // Every response's revision covers its events, and responses never go back in time.
    const revisions = r.responses.map((x) => x.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
  });

  it("replays prev_kv from history and keeps a revision's events in one response", async () => {
    await h.put("a", "1"); // 2
    await h.put("a", "2"); // 3
    await h.del("a"); // 4
    await h.txn({
      compare: [],
      success: [
        { request: "requestPut", requestPut: putOf("x", "1") },
        { request: "requestPut", requestPut: putOf("y", "1") },
        { request: "requestPut", requestPut: putOf("z", "1") },
        { request: "requestPut", requestPut: putOf("zz", "1") },
      ],
      failure: [],
    }); // 5: four keys, more than one slice of 3
    const r = new Recorder();
    hub.watch(spec("\0", { rangeEnd: b("\0"), startRevision: 2, prevKv: true }), r);
    await until("the replay", () => r.events.length === 7);
    expect(r.events.map((e) => [e.type, e.key, e.rev, e.prev])).toEqual([
      ["PUT", "a", 2, null],
      ["PUT", "a", 3, "1"],
      ["DELETE", "a", 4, "2"],
      ["PUT", "x", 5, null],
      ["PUT", "y", 5, null],
      ["PUT", "z", 5, null],
      ["PUT", "zz", 5, null],
    ]);
    const rev5 = r.responses.filter((x) => x.revision >= 5);
    expect(rev5.map((x) => x.count)).toEqual([4]);
  });

  it("ends a watcher whose start revision is compacted, naming the compacted revision", async () => {
    for (let i = 0; i < 5; i++) await h.put("k", `${i}`); // 2..6
    await h.run("compaction", { revision: 4, physical: false });
    const r = new Recorder();
    const w = hub.watch(spec("k", { startRevision: 2 }), r);
    await until("the end", () => r.ends.length === 1);
    expect(r.ends[0]).toEqual({
      compactRevision: 4,
      reason: "etcdserver: mvcc: required revision has been compacted",
    });
    expect(r.events).toEqual([]);
    expect(w.state).toBe("ended");
    // At the compacted revision itself, history is complete.
    const at = new Recorder();
    hub.watch(spec("k", { startRevision: 4 }), at);
    await until("the replay", () => at.events.length === 3);
    expect(at.events.map((e) => e.value)).toEqual(["2", "3", "4"]);
  });

  it("pauses replay while the sink is not ready, and resumes on notifyReady", async () => {
    for (let i = 0; i < 10; i++) await h.put("k", `${i}`); // 2..11
    const r = new Recorder();
    r.isReady = false;
    const w = hub.watch(spec("k", { startRevision: 2 }), r);
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    expect(r.events).toEqual([]);
    r.isReady = true;
    hub.notifyReady();
    await until("the replay", () => hub.isSynced(w));
    expect(r.events.map((e) => e.rev)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("after a snapshot import, synced watchers catch up from the imported history", async () => {
    const source = await Harness.create();
    try {
      await source.put("k", "1"); // 2
      await source.put("other", "x"); // 3
      await source.put("k", "2"); // 4
      const r = new Recorder();
      const w = hub.watch(spec("k", { prevKv: true }), r);
      expect(hub.isSynced(w)).toBe(true);
      await h.sm.importSnapshot(source.sm.exportSnapshot());
      await until("the catch-up", () => r.events.length === 2 && hub.isSynced(w));
      expect(r.events.map((e) => [e.value, e.rev, e.prev])).toEqual([
        ["1", 2, null],
        ["2", 4, "1"],
      ]);
      expect(hub.revision).toBe(4);
    } finally {
      await source.close();
    }
  });
});

describe("progress notifications", () => {
  it("are sent periodically to synced progress_notify watchers", async () => {
    hub.close();
    hub = new Hub(h.sm, { progressNotifyIntervalMs: 20 });
    const revisions: number[] = [];
    const sink: WatchSink = {
      deliver: () => undefined,
      ended: () => undefined,
      progress: (_w, revision) => revisions.push(revision),
      ready: () => true,
    };
    hub.watch(spec("k", { progressNotify: true }), sink);
    hub.watch(spec("j"), { ...sink, progress: () => revisions.push(-1) });
    await h.put("x", "1");
    await until("two notifications", () => revisions.length >= 2);
    expect(new Set(revisions)).toEqual(new Set([2]));
  });
});

function putOf(key: string, value: string) {
  return { key: b(key), value: b(value), lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false };
}
