// Compaction: logical at once (reads below fail with etcd's error), physical in the background:
// superseded versions and tombstones below the revision leave LevelDB, reads at or above it give
// exactly what they gave before, and it resumes after a restart.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KvError, type RangeResponse } from "../../src/kv/index.js";
import { Harness, rangeReq, s } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.sm.close();
  await h.close();
});

/** Count of the LevelDB keys in a keyspace of the KV sublevel ("h" history, "r" records). */
async function count(space: "h" | "r"): Promise<number> {
  const kv = h.db.sublevel<Buffer, Buffer>("kv", { keyEncoding: "buffer", valueEncoding: "buffer" });
  let n = 0;
  for await (const _ of await kv.keys({
    gte: Buffer.from(space),
    lt: Buffer.from(String.fromCharCode(space.charCodeAt(0) + 1)),
  }))
    n++;
  return n;
}

const summary = (r: RangeResponse) => r.kvs.map((kv) => `${s(kv.key)}=${s(kv.value)}@${kv.modRevision}`);

async function allRevisions(from: number, to: number): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let rev = from; rev <= to; rev++) {
    out.set(rev, summary(await h.sm.rangeAt(rangeReq("\0", "\0", { revision: rev }))));
  }
  return out;
}

/** 60 revisions over 5 keys: puts, deletes, re-creations. */
async function history(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const key = `k${i % 5}`;
    if (i % 7 === 3) await h.del(key);
    else await h.put(key, `v${i}`);
  }
}

describe("compaction", () => {
  it("removes what no read at or after the revision can see, and nothing else", async () => {
    await history();
    const top = h.sm.revision;
    const before = await allRevisions(30, top);
    const records = await count("r");
    await h.run("compaction", { revision: 30, physical: true });
    await h.sm.waitCompaction(30);
    expect(h.sm.physicallyCompactedRevision).toBe(30);
    expect(await allRevisions(30, top)).toEqual(before);
    expect(await count("r")).toBeLessThan(records);
    expect(await count("h")).toBe(await count("r"));
    // Below: etcd's error, OUT_OF_RANGE.
    const err = await h.sm.rangeAt(rangeReq("k1", "", { revision: 29 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvError);
    expect(err).toMatchObject({
      grpcCode: 11,
      message: "etcdserver: mvcc: required revision has been compacted",
    });
    // Compacting again at or below is refused; above works.
    expect(await h.run("compaction", { revision: 30, physical: false })).toMatchObject({
      code: "RAFTKV_COMPACTED",
    });
    await h.run("compaction", { revision: top, physical: false });
    await h.sm.waitCompaction(top);
    expect(await allRevisions(top, top)).toEqual(new Map([[top, before.get(top)]]));
    // Only the live versions remain, and the version written AT the revision (kept for watch
    // replay from it): the last write of history() deletes k4.
    expect(await count("r")).toBe(h.sm.size + 1);
  });

  it("keeps the history at and after the revision for watch replay", async () => {
    await history();
    await h.run("compaction", { revision: 40, physical: false });
    await h.sm.waitCompaction(40);
    const slice = await h.sm.historyRecords(40, h.sm.revision, 1000);
    expect(slice.records.map((r) => r.main)).toEqual(
      Array.from({ length: h.sm.revision - 39 }, (_, i) => 40 + i),
    );
  });

  it("finishes after a restart that cut it short", async () => {
    for (let i = 0; i < 3000; i++) await h.put(`k${i % 300}`, `v${i}`);
    const top = h.sm.revision;
    const before = await allRevisions(top - 2, top);
    await h.run("compaction", { revision: top - 2, physical: false });
    // Stop the background job at once (after at most one batch), as a crash would.
    await h.sm.close();
    await h.reopen();
    expect(h.sm.compactedRevision).toBe(top - 2);
    await h.sm.waitCompaction(top - 2);
    expect(h.sm.physicallyCompactedRevision).toBe(top - 2);
    expect(await allRevisions(top - 2, top)).toEqual(before);
    expect(await count("r")).toBe(300 + 2);
  });

  it("a snapshot carries the compacted history and its revision", async () => {
    await history();
    await h.run("compaction", { revision: 50, physical: true });
    await h.sm.waitCompaction(50);
    const expected = await allRevisions(50, h.sm.revision);
    const other = await Harness.create();
    try {
      await other.sm.importSnapshot(h.sm.exportSnapshot());
      expect(other.sm.compactedRevision).toBe(50);
      for (const [rev, kvs] of expected) {
        expect(summary(await other.sm.rangeAt(rangeReq("\0", "\0", { revision: rev })))).toEqual(kvs);
      }
      await expect(other.sm.rangeAt(rangeReq("k1", "", { revision: 49 }))).rejects.toThrow(
        "required revision has been compacted",
      );
    } finally {
      await other.sm.close();
      await other.close();
    }
  });
});
