// The KV service end to end: our client → gRPC → the API → a real KvStateMachine in LevelDB.

import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cmp, type EtcdClient, EtcdClientError, op } from "../../src/client/index.js";
import { type Served, serve } from "./helpers.js";
import { KvBackend } from "./kv-backend.js";

let backend: KvBackend;
let served: Served;
let client: EtcdClient;

beforeEach(async () => {
  backend = await KvBackend.open();
  served = await serve(backend);
  client = served.client;
});
afterEach(async () => {
  await served.close();
  await backend.close();
});

const text = (b: Buffer | undefined) => b?.toString() ?? "";

describe("KV over a real state machine", () => {
  it("puts and gets, with revisions and prev_kv", async () => {
    const first = await client.put("foo", "bar");
    expect(first.header?.revision).toBe(2);
    const second = await client.put("foo", "baz", { prevKv: true });
    expect(second.header?.revision).toBe(3);
    expect(text(second.prevKv?.value)).toBe("bar");
    const got = await client.get("foo");
    expect(got.count).toBe(1);
    expect(got.kvs[0]).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(text(got.kvs[0]?.value)).toBe("baz");
    expect(got.header).toMatchObject({ revision: 3, raftTerm: 2 });
    expect(backend.framedFromBytes).toBe(2);
  });

  it("reads prefixes with limit, keys-only, count-only, serializable and past revisions", async () => {
    for (const key of ["a/1", "a/2", "a/3", "b/1"]) await client.put(key, `v-${key}`);
    const prefix = await client.get("a/", { prefix: true });
    expect(prefix.kvs.map((kv) => text(kv.key))).toEqual(["a/1", "a/2", "a/3"]);
    const limited = await client.get("a/", { prefix: true, limit: 2 });
    expect([limited.kvs.length, limited.more, limited.count]).toEqual([2, true, 3]);
    const keysOnly = await client.get("a/", { prefix: true, keysOnly: true });
    expect(keysOnly.kvs.every((kv) => kv.value.length === 0)).toBe(true);
    const counted = await client.get("", { prefix: true, countOnly: true });
    expect([counted.kvs.length, counted.count]).toEqual([0, 4]);
    const local = await client.get("b/1", { serializable: true });
    expect(text(local.kvs[0]?.value)).toBe("v-b/1");
    const descending = await client.get("a/", { prefix: true, sortOrder: "DESCEND", sortTarget: "KEY" });
    expect(descending.kvs.map((kv) => text(kv.key))).toEqual(["a/3", "a/2", "a/1"]);

    await client.put("a/1", "changed");
    const past = await client.get("a/1", { revision: 2 });
    expect(text(past.kvs[0]?.value)).toBe("v-a/1");
    const future = await client.get("a/1", { revision: 99 }).catch((e: unknown) => e);
    expect(future).toMatchObject({
      code: status.OUT_OF_RANGE,
      details: "etcdserver: mvcc: required revision is a future revision",
    });
  });

  it("deletes single keys and prefixes", async () => {
    for (const key of ["p/1", "p/2", "q"]) await client.put(key, "v");
    expect((await client.delete("q")).deleted).toBe(1);
    const gone = await client.delete("p/", { prefix: true, prevKv: true });
    expect(gone.deleted).toBe(2);
    expect(gone.prevKvs.map((kv) => text(kv.key))).toEqual(["p/1", "p/2"]);
    expect((await client.get("", { prefix: true })).count).toBe(0);
    expect((await client.delete("nothing")).deleted).toBe(0);
  });

  it("runs transactions: compare, success and failure branches, nested reads", async () => {
    await client.put("k", "v1");
    const hit = await client.txn({
      compare: [cmp.value("k", "=", "v1")],
      success: [op.put("k", "v2"), op.get("k")],
      failure: [op.get("k")],
    });
    expect(hit.succeeded).toBe(true);
    expect(hit.responses.map((r) => r.response)).toEqual(["responsePut", "responseRange"]);
    expect(text(hit.responses[1]?.responseRange?.kvs[0]?.value)).toBe("v2");
    const miss = await client.txn({
      compare: [cmp.version("k", "=", 1), cmp.createRevision("k", ">", 0)],
      success: [op.delete("k")],
      failure: [op.get("k")],
    });
    expect(miss.succeeded).toBe(false);
    expect(text(miss.responses[0]?.responseRange?.kvs[0]?.value)).toBe("v2");
    const absent = await client.txn({
      compare: [cmp.version("missing", "=", 0)],
      success: [op.put("missing", "x")],
    });
    expect(absent.succeeded).toBe(true);
    expect(absent.header?.revision).toBe(4);
  });

  it("compacts, then refuses reads below the compacted revision", async () => {
    await client.put("k", "1");
    await client.put("k", "2");
    await client.put("k", "3");
    await client.compact(3);
    const old = await client.get("k", { revision: 2 }).catch((e: unknown) => e);
    expect(old).toBeInstanceOf(EtcdClientError);
    expect((old as EtcdClientError).details).toBe("etcdserver: mvcc: required revision has been compacted");
    expect((await client.hashKV()).compactRevision).toBe(3);
  });

  it("hashes equal stores equally and streams a snapshot", async () => {
    await client.put("x", "1");
    const h1 = await client.hashKV();
    expect(h1.hashRevision).toBe(2);
    expect(h1.hash).toBe(await backend.kv.hashKV());
    let bytes = 0;
    for await (const chunk of client.snapshot()) bytes += chunk.length;
    expect(bytes).toBeGreaterThan(0);
  });
});
