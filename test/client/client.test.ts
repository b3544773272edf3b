// The client: key and range helpers, txn builders, failover across endpoints and deadlines.

import { createServer } from "node:net";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { NodeError } from "../../src/api/errors.js";
import {
  cmp,
  EtcdClient,
  EtcdClientError,
  endpointAddress,
  op,
  prefixEnd,
  rangeOf,
} from "../../src/client/index.js";
import { type Served, StubBackend, serve } from "../api/helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(backend: StubBackend): Promise<Served> {
  const served = await serve(backend);
  cleanups.push(() => served.close());
  return served;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function client(endpoints: string[], timeoutMs = 5000): EtcdClient {
  const made = new EtcdClient(endpoints, { timeoutMs });
  cleanups.push(() => made.close());
  return made;
}

describe("keys and ranges", () => {
  it("computes prefix ends as etcd does", () => {
    expect(prefixEnd(Buffer.from("abc"))).toEqual(Buffer.from("abd"));
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixEnd(Buffer.from([0xff, 0xff]))).toEqual(Buffer.from([0]));
  });

  it("selects ranges: single key, prefix, from-key, every key, explicit end", () => {
    expect(rangeOf("a", undefined)).toEqual({ key: Buffer.from("a"), rangeEnd: Buffer.alloc(0) });
    expect(rangeOf("a", { prefix: true })).toEqual({ key: Buffer.from("a"), rangeEnd: Buffer.from("b") });
    expect(rangeOf("a", { fromKey: true })).toEqual({ key: Buffer.from("a"), rangeEnd: Buffer.from([0]) });
    expect(rangeOf("", { prefix: true })).toEqual({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    expect(rangeOf("a", { rangeEnd: "c" })).toEqual({ key: Buffer.from("a"), rangeEnd: Buffer.from("c") });
    expect(rangeOf(new Uint8Array([1, 2]), undefined).key).toEqual(Buffer.from([1, 2]));
  });

  it("normalizes endpoints", () => {
    expect(endpointAddress("http://127.0.0.1:2379")).toBe("127.0.0.1:2379");
    expect(endpointAddress("https://node-0.raftkv:2379/")).toBe("node-0.raftkv:2379");
    expect(endpointAddress("127.0.0.1:2379")).toBe("127.0.0.1:2379");
  });

  it("builds comparisons that set only their operand", () => {
    expect(cmp.value("k", "=", "v")).toEqual({
      result: "EQUAL",
      target: "VALUE",
      key: Buffer.from("k"),
      value: Buffer.from("v"),
    });
    expect(cmp.version("k", "!=", 0)).toEqual({
      result: "NOT_EQUAL",
      target: "VERSION",
      key: Buffer.from("k"),
      version: 0,
    });
    expect(cmp.modRevision("k", ">", 3, { prefix: true }).rangeEnd).toEqual(Buffer.from("l"));
    expect(() => cmp.lease("k", "~" as "=", 1)).toThrow(TypeError);
    expect(op.delete("p", { prefix: true, prevKv: true })).toEqual({
      requestDeleteRange: { key: Buffer.from("p"), rangeEnd: Buffer.from("q"), prevKv: true },
    });
    // A single key sends no range_end at all: etcd 3.4 takes an empty one on the wire as "to the end".
    const single = op.get("k", { limit: 2, keysOnly: true }).requestRange;
    expect(single).toEqual({ key: Buffer.from("k"), limit: 2, keysOnly: true });
    expect(single !== undefined && "rangeEnd" in single).toBe(false);
    const deleteOne = op.delete("k").requestDeleteRange;
    expect(deleteOne !== undefined && "rangeEnd" in deleteOne).toBe(false);
  });
});

describe("failover", () => {
  it("moves past an endpoint that refuses connections, for reads and writes", async () => {
    const backend = new StubBackend();
    backend.onPropose = async () => ({ header: { revision: 2 } });
    const served = await started(backend);
    const etcd = client([`127.0.0.1:${await deadPort()}`, served.endpoint]);
    expect((await etcd.get("k")).count).toBe(0);
    const again = client([`127.0.0.1:${await deadPort()}`, served.endpoint]);
    expect((await again.put("k", "v")).header?.revision).toBe(2);
    expect(backend.proposals.length).toBe(1);
  });

  it("retries reads on UNAVAILABLE from the server, on the next endpoint", async () => {
    const sick = new StubBackend();
    sick.onBarrier = () => Promise.reject(new NodeError("RAFTKV_LEADER_CHANGED"));
    const healthy = new StubBackend();
    healthy.onRange = () => ({ kvs: [], more: false, count: 3 });
    const [a, b] = [await started(sick), await started(healthy)];
    const etcd = client([a.endpoint, b.endpoint]);
    expect((await etcd.get("k")).count).toBe(3);
    expect(sick.barriers).toBe(1);
    // The client stays on the endpoint that answered.
    expect((await etcd.get("k")).count).toBe(3);
    expect(sick.barriers).toBe(1);
  });

  it("retries a write refused for lack of a leader, but not one that may have been applied", async () => {
    const sick = new StubBackend();
    const healthy = new StubBackend();
    healthy.onPropose = async () => ({ header: { revision: 5 } });
    const [a, b] = [await started(sick), await started(healthy)];

    sick.onPropose = () => Promise.reject(new NodeError("RAFTKV_NO_LEADER"));
    expect((await client([a.endpoint, b.endpoint]).put("k", "v")).header?.revision).toBe(5);
    expect(healthy.proposals.length).toBe(1);

    sick.onPropose = () => Promise.reject(new NodeError("RAFTKV_TIMEOUT"));
    const error = await client([a.endpoint, b.endpoint])
      .put("k", "v")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdClientError);
    expect((error as EtcdClientError).details).toBe("etcdserver: request timed out");
    expect((error as EtcdClientError).endpoint).toBe(a.endpoint);
    expect(healthy.proposals.length).toBe(1);
  });

  it("gives up after every endpoint was tried once", async () => {
    const [x, y] = [await deadPort(), await deadPort()];
    const error = await client([`127.0.0.1:${x}`, `127.0.0.1:${y}`])
      .get("k")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdClientError);
    expect((error as EtcdClientError).code).toBe(status.UNAVAILABLE);
  });

  it("fails a call at its deadline", async () => {
    const backend = new StubBackend();
    backend.onPropose = () => new Promise(() => {});
    const served = await started(backend);
    const started_ = Date.now();
    const error = await client([served.endpoint], 300)
      .put("k", "v")
      .catch((e: unknown) => e);
    expect((error as EtcdClientError).code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started_).toBeLessThan(3000);
  });

  it("refuses calls after close", async () => {
    const served = await started(new StubBackend());
    const etcd = new EtcdClient([served.endpoint]);
    etcd.close();
    await expect(etcd.get("k")).rejects.toThrow("client is closed");
    expect(() => new EtcdClient([])).toThrow(TypeError);
  });
});
