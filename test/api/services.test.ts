// Cluster, Maintenance and health services, headers, metrics and the HTTP endpoint, over the stub
// backend.

import { createHash } from "node:crypto";
import { Client, credentials, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpServer, startHttpServer } from "../../src/api/http.js";
import { apiServices } from "../../src/api/proto.js";
import type { HealthCheckResponse } from "../../src/api/wire.js";
import { CLUSTER_ID, MEMBER_ID, type Served, StubBackend, serve } from "./helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(backend: StubBackend, registry?: Registry): Promise<Served> {
  const served = await serve(backend, registry === undefined ? {} : { registry });
  cleanups.push(() => served.close());
  return served;
}

describe("response headers", () => {
  it("carry cluster, member, term and the op's revision", async () => {
    const backend = new StubBackend();
    backend.revision = 10;
    // The state machine answered with the op's revision; later entries moved the store on.
    backend.onPropose = async () => {
      backend.revision = 12;
      return { header: { revision: 11 } };
    };
    const served = await started(backend);
    const put = await served.client.put("k", "v");
    expect(put.header).toEqual({ clusterId: CLUSTER_ID, memberId: MEMBER_ID, revision: 11, raftTerm: 7 });
    const range = await served.client.get("k");
    expect(range.header).toEqual({ clusterId: CLUSTER_ID, memberId: MEMBER_ID, revision: 12, raftTerm: 7 });
    backend.onPropose = async () => ({});
    expect((await served.client.compact(3)).header?.revision).toBe(12);
  });

  it("reads linearizably by default and locally when serializable", async () => {
    const backend = new StubBackend();
    const served = await started(backend);
    await served.client.get("k");
    expect(backend.barriers).toBe(1);
    await served.client.get("k", { serializable: true });
    expect(backend.barriers).toBe(1);
  });

  it("hands the backend the request's bytes as they arrived", async () => {
    const backend = new StubBackend();
    const served = await started(backend);
    await served.client.put("key", "value");
    const proposal = backend.proposals[0]!;
    expect(proposal.kind).toBe("put");
    const decoded = apiServices().kv.Put.requestDeserialize(proposal.encoded!) as {
      key: Buffer;
      value: Buffer;
    };
    expect(decoded.key.toString()).toBe("key");
    expect(decoded.value.toString()).toBe("value");
  });
});

describe("Cluster and Maintenance", () => {
  it("lists members", async () => {
    const backend = new StubBackend();
    const served = await started(backend);
    const list = await served.client.memberList();
    expect(list.members).toEqual([
      {
        ID: MEMBER_ID,
        name: "n1",
        peerURLs: ["http://127.0.0.1:2380"],
        clientURLs: ["http://127.0.0.1:2379"],
        isLearner: false,
      },
    ]);
    expect(list.header?.clusterId).toBe(CLUSTER_ID);
    await served.client.memberList({ linearizable: true });
    expect(backend.barriers).toBe(1);
  });

  it("reports status, hashes, alarms", async () => {
    const backend = new StubBackend();
    backend.revision = 9;
    const served = await started(backend);
    const s = await served.client.status();
    expect(s).toMatchObject({
      version: "3.4.0",
      dbSize: 4096,
      dbSizeInUse: 4096,
      leader: MEMBER_ID,
      raftIndex: 42,
      raftTerm: 7,
      raftAppliedIndex: 41,
      errors: [],
      isLearner: false,
    });
    expect(s.header?.memberId).toBe(MEMBER_ID);
    expect(await served.client.hashKV()).toMatchObject({ hash: 0xdeadbeef, hashRevision: 9 });
    expect((await served.client.hash()).hash).toBe(0xdeadbeef);
    expect((await served.client.alarms()).alarms).toEqual([]);
  });

  it("streams a snapshot, and moves the leader", async () => {
    const backend = new StubBackend();
    const moved: number[] = [];
    backend.onMoveLeader = async (target) => {
      moved.push(target);
    };
    const served = await started(backend);
    const chunks: Buffer[] = [];
    for await (const chunk of served.client.snapshot()) chunks.push(chunk);
    // etcd's framing: the data, zero padding to 512 bytes, the SHA-256 of both.
    const all = Buffer.concat(chunks);
    expect(all.length % 512).toBe(32);
    expect(all.subarray(0, 12).toString()).toBe("snap-1snap-2");
    expect(all.subarray(12, all.length - 32).every((byte) => byte === 0)).toBe(true);
    const sha = createHash("sha256")
      .update(all.subarray(0, all.length - 32))
      .digest();
    expect(all.subarray(all.length - 32)).toEqual(sha);
    await served.client.moveLeader(77);
    expect(moved).toEqual([77]);
  });

  it("ends a failing snapshot with the mapped status", async () => {
    const backend = new StubBackend();
    backend.snapshot = async function* () {
      yield Buffer.from("partial");
      throw Object.assign(new Error("stopping"), { code: "RAFTKV_STOPPING" });
    };
    const served = await started(backend);
    const error = await (async () => {
      for await (const _ of served.client.snapshot());
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: "etcdserver: server stopped" });
  });
});

describe("health", () => {
  it("answers SERVING when the backend is ready, NOT_SERVING when not, NOT_FOUND for unknown services", async () => {
    const backend = new StubBackend();
    const served = await started(backend);
    expect((await served.client.health()).status).toBe("SERVING");
    expect((await served.client.health(undefined, "etcdserverpb.KV")).status).toBe("SERVING");
    backend.isReady = false;
    expect((await served.client.health()).status).toBe("NOT_SERVING");
    await expect(served.client.health(undefined, "nope")).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("streams status changes to a watcher", async () => {
    const backend = new StubBackend();
    const served = await started(backend);
    const watch = apiServices().health.Watch;
    const client = new Client(served.endpoint, credentials.createInsecure());
    cleanups.push(() => client.close());
    const stream = client.makeServerStreamRequest(
      watch.path,
      watch.requestSerialize,
      watch.responseDeserialize,
      {
        service: "",
      },
    );
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      stream.on("data", (message: HealthCheckResponse) => {
        seen.push(message.status);
        if (seen.length === 1) backend.isReady = false;
        if (seen.length === 2) resolve();
      });
    });
    stream.on("error", () => {});
    stream.cancel();
    expect(seen).toEqual(["SERVING", "NOT_SERVING"]);
  });
});

describe("HTTP endpoint and metrics", () => {
  async function http(backend: StubBackend, registry: Registry): Promise<HttpServer> {
    const server = await startHttpServer({
      backend,
      listen: "127.0.0.1:0",
      registry,
      logger: pino({ level: "silent" }),
    });
    cleanups.push(() => server.close());
    return server;
  }

  it("serves /healthz, /readyz, /livez, 404 and 405", async () => {
    const backend = new StubBackend();
    const server = await http(backend, new Registry());
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/healthz`);
    expect([ok.status, await ok.json()]).toEqual([200, { health: "true", reason: "" }]);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    backend.isReady = false;
    const down = await fetch(`${base}/healthz`);
    expect([down.status, await down.json()]).toEqual([
      503,
      { health: "false", reason: "etcdserver: no leader" },
    ]);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("exports request counts and latency histograms per method", async () => {
    const backend = new StubBackend();
    const registry = new Registry();
    const served = await started(backend, registry);
    const server = await http(backend, registry);
    await served.client.put("k", "v");
    await served.client.get("k", { serializable: true });
    await served.client.put("", "v").catch(() => {});
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const put = 'grpc_service="etcdserverpb.KV",grpc_method="Put"';
    expect(text).toContain(`grpc_server_handled_total{grpc_type="unary",${put},grpc_code="OK"} 1`);
    expect(text).toContain(
      `grpc_server_handled_total{grpc_type="unary",${put},grpc_code="InvalidArgument"} 1`,
    );
    expect(text).toContain(`grpc_server_handling_seconds_count{grpc_type="unary",${put}} 2`);
    expect(text).toMatch(
      /grpc_server_handling_seconds_bucket\{le="0\.001",grpc_type="unary",grpc_service="etcdserverpb\.KV",grpc_method="Range"\} \d/,
    );
  });
});

describe("lifecycle", () => {
  it("closes gracefully, letting a call in flight finish", async () => {
    const backend = new StubBackend();
    let finish: (value: object) => void = () => {};
    let arrived: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    backend.onPropose = () =>
      new Promise((resolve) => {
        finish = resolve;
        arrived();
      });
    const served = await serve(backend);
    cleanups.push(() => served.client.close());
    const put = served.client.put("k", "v");
    // The call is in flight once the backend holds it (not after a guessed delay).
    await inFlight;
    const closed = served.server.close(true);
    finish({ header: { revision: 3 } });
    expect((await put).header?.revision).toBe(3);
    await closed;
  });

  it("rejects a bad listen address", async () => {
    await expect(serve(new StubBackend(), { listen: "nonsense" })).rejects.toThrow(TypeError);
  });
});
