// Reopen, exactly-once apply, snapshots.

import { afterEach, describe, expect, it } from "vitest";
import { KvStateMachine, SNAPSHOT_CHUNK_BYTES } from "../../src/kv/index.js";
import { b, Harness, putReq, rangeReq, s } from "./helpers.js";

const harnesses: Harness[] = [];
async function harness(): Promise<Harness> {
  const h = await Harness.create();
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function fill(h: Harness, keys: number, valueBytes = 16): Promise<void> {
  for (let i = 0; i < keys; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(keys, i + 50); j++) {
      batch.push(h.entry("put", putReq(`key-${String(j).padStart(6, "0")}`, "v".repeat(valueBytes) + j)));
    }
    await h.sm.apply(batch);
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

async function* replay(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

describe("reopen", () => {
  it("rebuilds the latest index and metadata", async () => {
    const h = await harness();
    await fill(h, 120);
    await h.del("key-000010");
    await h.put("key-000011", "again");
    await h.run("compaction", { revision: 5, physical: false });
    const before = {
      hash: await h.sm.hashKV(),
      rev: h.sm.revision,
      applied: h.sm.appliedIndex,
      size: h.sm.size,
    };
    const bytes = h.sm.approximateBytes();
    let expected = 0;
    for (const kv of (await h.sm.rangeAt(rangeReq("\0", "\0"))).kvs)
      expected += kv.key.length + kv.value.length;
    expect(bytes).toBe(expected);
    await h.reopen();
    expect({
      hash: await h.sm.hashKV(),
      rev: h.sm.revision,
      applied: h.sm.appliedIndex,
      size: h.sm.size,
    }).toEqual(before);
    expect(h.sm.compactedRevision).toBe(5);
    expect((await h.sm.rangeAt(rangeReq("key-000011"))).kvs[0]).toMatchObject({ version: 2 });
    expect(await h.keys("key-000010")).toEqual([]);
    expect(h.sm.approximateBytes()).toBe(bytes);
  });

  it("never applies an entry twice: replaying the log after reopen is a no-op", async () => {
    const h = await harness();
    const entries = [
      h.entry("put", putReq("a", "1")),
      h.entry("put", putReq("a", "2")),
      h.entry("deleteRange", { key: b("a"), rangeEnd: b(""), prevKv: false }),
      h.entry("put", putReq("a", "3")),
    ];
    await h.sm.apply(entries.slice(0, 3));
    await h.reopen();
    expect(h.sm.appliedIndex).toBe(3);
    // Raft replays from an older point: entries 1..3 are skipped, 4 applies.
    const results = await h.sm.apply(entries);
    expect([...(await results.keys())]).toEqual([entries[3]!.id]);
    expect((await h.sm.rangeAt(rangeReq("a"))).kvs[0]).toMatchObject({
      version: 1,
      createRevision: 5,
      modRevision: 5,
    });
    expect(h.sm.revision).toBe(5);
    // and again, all skipped
    expect((await h.sm.apply(entries)).size).toBe(0);
    expect(h.sm.revision).toBe(5);
  });

  it("persist() resolves after a synced write", async () => {
    const h = await harness();
    await h.put("a", "1");
    await h.sm.persist();
    await h.reopen();
    expect(await h.keys("a")).toEqual(["a"]);
  });
});

describe("snapshots", () => {
  it("round-trips: export, import elsewhere, same hash, history and metadata", async () => {
    const source = await harness();
    await fill(source, 400, 300);
    await source.del("key-000001");
    const chunks = await collect(source.sm.exportSnapshot());
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBe(SNAPSHOT_CHUNK_BYTES);

    const target = await harness();
    await target.put("stale", "gone");
    await target.sm.importSnapshot(replay(chunks), source.sm.appliedIndex);
    expect(await target.sm.hashKV()).toBe(await source.sm.hashKV());
    expect(target.sm.appliedIndex).toBe(source.sm.appliedIndex);
    expect(target.sm.revision).toBe(source.sm.revision);
    expect(await target.keys("stale")).toEqual([]);
    const past = await target.sm.rangeAt(rangeReq("key-000001", "", { revision: 10 }));
    expect(past.kvs).toHaveLength(1);

    // survives a reopen, and keeps applying where the source left off
    await target.reopen();
    expect(await target.sm.hashKV()).toBe(await source.sm.hashKV());
    target.index = target.sm.appliedIndex;
    await target.put("after", "x");
    expect(target.sm.revision).toBe(source.sm.revision + 1);
  });

  it("handles chunks cut anywhere and values larger than a chunk", async () => {
    const source = await harness();
    await source.put("big", "x".repeat(3 * SNAPSHOT_CHUNK_BYTES + 17));
    await fill(source, 30);
    const whole = Buffer.concat(await collect(source.sm.exportSnapshot()));
    const odd: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 777) odd.push(whole.subarray(at, at + 777));
    const target = await harness();
    await target.sm.importSnapshot(replay(odd), 1);
    expect(await target.sm.hashKV()).toBe(await source.sm.hashKV());
    expect(s((await target.sm.rangeAt(rangeReq("big"))).kvs[0]!.value)).toHaveLength(
      3 * SNAPSHOT_CHUNK_BYTES + 17,
    );
  });

  it("refuses a corrupt or truncated stream and stays unusable until a good import", async () => {
    const source = await harness();
    await fill(source, 100);
    const chunks = await collect(source.sm.exportSnapshot());
    const whole = Buffer.concat(chunks);
    const corrupt = Buffer.from(whole);
    corrupt[200] = corrupt[200]! ^ 0xff;

    const target = await harness();
    await expect(target.sm.importSnapshot(replay([corrupt]), 1)).rejects.toThrow();
    // Waiting for a snapshot that installs: UNAVAILABLE (clients ask another member), not INTERNAL.
    expect(() => target.sm.range(rangeReq("a"))).toThrow(
      expect.objectContaining({ code: "RAFTKV_INSTALLING_SNAPSHOT", grpcCode: 14 }),
    );
    await expect(target.sm.importSnapshot(replay([whole.subarray(0, whole.length - 3)]), 1)).rejects.toThrow(
      "ends early",
    );
    // a restart finds the interrupted import
    await target.reopen();
    expect(target.sm.incompleteImport).toBe(true);
    await expect(target.sm.apply([])).rejects.toThrow(
      expect.objectContaining({ code: "RAFTKV_INSTALLING_SNAPSHOT" }),
    );
    await target.sm.importSnapshot(replay(chunks), 1);
    expect(await target.sm.hashKV()).toBe(await source.sm.hashKV());
  });

  it("refuses a stream older than the Raft snapshot it is for", async () => {
    const source = await harness();
    await source.put("a", "1");
    const chunks = await collect(source.sm.exportSnapshot());
    const target = await harness();
    await expect(target.sm.importSnapshot(replay(chunks), 99)).rejects.toThrow(
      "older than the Raft snapshot",
    );
  });

  it("exports a consistent snapshot while applies continue", async () => {
    const source = await harness();
    await fill(source, 200);
    const hash = await source.sm.hashKV();
    const applied = source.sm.appliedIndex;
    const iterator = source.sm.exportSnapshot()[Symbol.asyncIterator]();
    const first = await iterator.next();
    await source.put("later", "x");
    const rest: Buffer[] = [first.value as Buffer];
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      rest.push(next.value);
    }
    const target = await harness();
    await target.sm.importSnapshot(replay(rest), applied);
    expect(await target.sm.hashKV()).toBe(hash);
    expect(target.sm.appliedIndex).toBe(applied);
  });

  it("an empty store exports and imports", async () => {
    const source = await harness();
    const target = await harness();
    await target.put("x", "y");
    await target.sm.importSnapshot(source.sm.exportSnapshot(), 0);
    expect(target.sm.size).toBe(0);
    expect(target.sm.revision).toBe(1);
    expect(await target.sm.hashKV()).toBe(await source.sm.hashKV());
  });
});

describe("member metadata", () => {
  it("is stored with its entry, survives reopen and travels in snapshots", async () => {
    const h = await harness();
    const info = { name: "n1", peerURLs: ["http://a:2380"], clientURLs: ["http://a:2379"] };
    await h.sm.apply([
      { index: 1, data: new Uint8Array(0), members: [{ id: 7, member: info }] },
      { index: 2, data: new Uint8Array(0), members: [{ id: 3, member: { ...info, name: "n0" } }] },
      { index: 3, data: new Uint8Array(0), members: [{ id: 2 ** 52, member: { ...info, name: "big" } }] },
    ]);
    await h.sm.apply([{ index: 4, data: new Uint8Array(0), members: [{ id: 3, member: null }] }]);
    expect(h.sm.appliedIndex).toBe(4);
    const expected = [
      [7, info],
      [2 ** 52, { ...info, name: "big" }],
    ];
    expect(await h.sm.loadMembers()).toEqual(expected);
    await h.reopen();
    expect(await h.sm.loadMembers()).toEqual(expected);
    const target = await harness();
    await target.sm.importSnapshot(h.sm.exportSnapshot());
    expect(await target.sm.loadMembers()).toEqual(expected);
  });
});

describe("hashKV", () => {
  it("is equal for equal states and differs otherwise", async () => {
    const x = await harness();
    const y = await harness();
    for (const h of [x, y]) {
      await h.put("a", "1");
      await h.put("b", "2");
    }
    expect(await x.sm.hashKV()).toBe(await y.sm.hashKV());
    await y.put("b", "2");
    expect(await x.sm.hashKV()).not.toBe(await y.sm.hashKV());
  });

  it("opens on a bare Level too", async () => {
    const h = await harness();
    const sm = await KvStateMachine.open(
      h.db.sublevel<Buffer, Buffer>("bare", { keyEncoding: "buffer", valueEncoding: "buffer" }),
    );
    expect(sm.revision).toBe(1);
  });
});
