// The gateway's parts: the Authorization header as gRPC `token` metadata, proto3 JSON mapping of
// requests (either field-name spelling, enum names or numbers, int64 as strings, bad values
// refused) and responses, and the splitter of a streamed request body.

import { Server, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientPort, serveClientPort } from "../../src/api/client-port.js";
import { JsonObjectSplitter, resolveRoute } from "../../src/api/gateway.js";
import { decodeJsonResponse, encodeJsonRequest, gatewayRoot } from "../../src/api/gateway-json.js";
import { apiServices } from "../../src/api/proto.js";
import { StubBackend } from "./helpers.js";

const type = (name: string) => gatewayRoot().lookupType(`etcdserverpb.${name}`);

describe("gateway JSON mapping", () => {
  it("accepts proto and JSON field names, int64 as strings or numbers, enums by name or number", () => {
    const bytes = encodeJsonRequest(type("TxnRequest"), {
      compare: [{ target: "MOD", result: 0, key: "Zm9v", modRevision: "12" }],
      success: [{ request_put: { key: "Zm9v", value: "YmFy", lease: 7 } }],
    });
    const decoded = type("TxnRequest").toObject(type("TxnRequest").decode(bytes), {
      longs: String,
      enums: String,
      bytes: String,
    });
    expect(decoded).toMatchObject({
      compare: [{ target: "MOD", result: "EQUAL", key: "Zm9v", mod_revision: "12" }],
      success: [{ request_put: { key: "Zm9v", value: "YmFy", lease: "7" } }],
    });
  });

  it("refuses values of the wrong type, naming the field", () => {
    expect(() => encodeJsonRequest(type("RangeRequest"), { key: 5 })).toThrow(/key/);
    expect(() => encodeJsonRequest(type("RangeRequest"), { limit: "ten" })).toThrow(/limit/);
    expect(() => encodeJsonRequest(type("RangeRequest"), { limit: "9007199254740993" })).toThrow(/2\^53/);
    expect(() => encodeJsonRequest(type("RangeRequest"), { sort_order: "SIDEWAYS" })).toThrow(/sort_order/);
    expect(() => encodeJsonRequest(type("RangeRequest"), [])).toThrow(/object/);
    // Unknown fields are ignored, as etcd's gateway ignores them.
    expect(() => encodeJsonRequest(type("RangeRequest"), { nonsense: 1 })).not.toThrow();
  });

  it("answers with proto names, int64 as strings, zero values left out", () => {
    const response = type("RangeResponse");
    const bytes = response
      .encode(
        response.fromObject({
          header: { cluster_id: 1, member_id: 2, revision: 3, raft_term: 0 },
          kvs: [{ key: Buffer.from("k"), value: Buffer.alloc(0), create_revision: 3, lease: 0 }],
          more: false,
          count: 1,
        }),
      )
      .finish();
    expect(decodeJsonResponse(response, bytes)).toEqual({
      header: { cluster_id: "1", member_id: "2", revision: "3" },
      kvs: [{ key: "aw==", create_revision: "3" }],
      count: "1",
    });
  });

  it("maps etcd's paths, /v3beta/ included, and nothing else", () => {
    const range = resolveRoute("/v3/kv/range");
    expect(range).toMatchObject({ grpcPath: "/etcdserverpb.KV/Range", requestStream: false });
    expect(resolveRoute("/v3beta/lease/keepalive")).toMatchObject({
      grpcPath: "/etcdserverpb.Lease/LeaseKeepAlive",
      requestStream: true,
      responseStream: true,
    });
    expect(resolveRoute("/v3/kv/lease/revoke")).toMatchObject({
      grpcPath: "/etcdserverpb.Lease/LeaseRevoke",
    });
    expect(resolveRoute("/v3/kv/rangex")).toBe("not-found");
    expect(resolveRoute("/v2/keys")).toBe("not-found");
  });
});

describe("JsonObjectSplitter", () => {
  it("splits objects across chunk boundaries, braces in strings included", () => {
    const s = new JsonObjectSplitter(1024);
    expect(s.push('{"a":"}{"')).toEqual([]);
    expect(s.push(',"b":{"c":1}}\n{"d"')).toEqual([{ a: "}{", b: { c: 1 } }]);
    expect(s.idle).toBe(false);
    expect(s.push(':"\\"x"}')).toEqual([{ d: '"x' }]);
    expect(s.idle).toBe(true);
  });

  it("refuses junk between objects and oversized objects", () => {
    expect(() => new JsonObjectSplitter(1024).push("{} x")).toThrow(/unexpected/);
    expect(() => new JsonObjectSplitter(8).push('{"a":"0123456789"')).toThrow(/too large/);
  });
});

describe("gateway calls through the gRPC server", () => {
  let port: ClientPort | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await port?.close();
    server?.forceShutdown();
  });

  it("sends the Authorization header as the `token` metadata, and maps errors to HTTP", async () => {
    const tokens: unknown[] = [];
    server = new Server();
    server.addService(apiServices().kv, {
      Range: (call: ServerUnaryCall<{ key: Buffer }, unknown>, callback: sendUnaryData<unknown>) => {
        tokens.push(call.metadata.get("token")[0]);
        if (call.request.key.toString() === "denied") {
          callback({ code: 7, details: "etcdserver: permission denied" });
          return;
        }
        callback(null, { header: { revision: 9 }, kvs: [], more: false, count: 0 });
      },
    });
    port = await serveClientPort(server, {
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
      backend: new StubBackend(),
      maxBodyBytes: 1024,
    });
    const url = `http://127.0.0.1:${port.port}/v3/kv/range`;
    const ok = await fetch(url, {
      method: "POST",
      headers: { Authorization: "token-abc" },
      body: JSON.stringify({ key: "Zm9v" }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ header: { revision: "9" } });
    const denied = await fetch(url, { method: "POST", body: JSON.stringify({ key: "ZGVuaWVk" }) });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({
      error: "etcdserver: permission denied",
      message: "etcdserver: permission denied",
      code: 7,
    });
    expect(tokens).toEqual(["token-abc", undefined]);
    const tooLarge = await fetch(url, { method: "POST", body: JSON.stringify({ key: "A".repeat(2000) }) });
    expect(tooLarge.status).toBe(400);
    expect(tokens).toHaveLength(2);
  });
});
