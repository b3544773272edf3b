// Error mapping of the client API: validation before proposing, node errors, KvErrors, unknown
// errors, oversize requests, and methods the server does not serve.

import { Client, credentials, Metadata, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { NodeError, type NodeErrorCode, STATUS_BY_CODE, statusOf } from "../../src/api/errors.js";
import { apiServices } from "../../src/api/proto.js";
import { cmp, EtcdClientError, op } from "../../src/client/index.js";
import { KvError } from "../../src/kv/errors.js";
import { memoryLogger, type Served, StubBackend, serve } from "./helpers.js";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function failure(promise: Promise<unknown>): Promise<EtcdClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EtcdClientError);
  return error as EtcdClientError;
}

describe("the error table", () => {
  it("maps every node error code to etcd's status", () => {
    const expected: Record<NodeErrorCode, [status, string]> = {
      RAFTKV_NO_LEADER: [status.UNAVAILABLE, "etcdserver: no leader"],
      RAFTKV_NOT_LEADER: [status.FAILED_PRECONDITION, "etcdserver: not leader"],
      RAFTKV_LEADER_CHANGED: [status.UNAVAILABLE, "etcdserver: leader changed"],
      RAFTKV_TIMEOUT: [status.UNAVAILABLE, "etcdserver: request timed out"],
      RAFTKV_TIMEOUT_LEADER_FAIL: [
        status.UNAVAILABLE,
        "etcdserver: request timed out, possibly due to previous leader failure",
      ],
      RAFTKV_TOO_MANY_REQUESTS: [status.RESOURCE_EXHAUSTED, "etcdserver: too many requests"],
      RAFTKV_STOPPING: [status.UNAVAILABLE, "etcdserver: server stopped"],
      RAFTKV_BAD_LEADER_TRANSFEREE: [status.FAILED_PRECONDITION, "etcdserver: bad leader transferee"],
      RAFTKV_LEARNER_NOT_SUPPORTED: [status.UNAVAILABLE, "etcdserver: rpc not supported for learner"],
      RAFTKV_MEMBER_NOT_FOUND: [status.NOT_FOUND, "etcdserver: member not found"],
      RAFTKV_UNHEALTHY: [status.UNAVAILABLE, "etcdserver: unhealthy cluster"],
      RAFTKV_CORRUPT: [status.DATA_LOSS, "etcdserver: corrupt cluster"],
      RAFTKV_MEMBER_BAD_URLS: [status.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid"],
      RAFTKV_PEER_URL_EXISTS: [status.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists"],
      RAFTKV_MEMBER_NOT_LEARNER: [
        status.FAILED_PRECONDITION,
        "etcdserver: can only promote a learner member",
      ],
      RAFTKV_LEARNER_NOT_READY: [
        status.FAILED_PRECONDITION,
        "etcdserver: can only promote a learner member which is in sync with leader",
      ],
      RAFTKV_TOO_MANY_LEARNERS: [
        status.FAILED_PRECONDITION,
        "etcdserver: too many learner members in cluster",
      ],
      RAFTKV_DISK_FULL: [
        status.UNAVAILABLE,
        "raftkv: no space left on device: this member accepts no writes until space is freed on its data dir",
      ],
    };
    for (const [code, [grpcCode, details]] of Object.entries(expected)) {
      expect(statusOf(new NodeError(code as NodeErrorCode)), code).toEqual({ code: grpcCode, details });
    }
  });

  it("maps the Raft core's codes by their string, and KvErrors by their own status", () => {
    expect(statusOf({ code: "RAFTKV_PROPOSAL_DROPPED" })).toBe(STATUS_BY_CODE.RAFTKV_LEADER_CHANGED);
    expect(statusOf({ code: "RAFTKV_TOO_MANY_UNCOMMITTED" })).toBe(STATUS_BY_CODE.RAFTKV_TOO_MANY_REQUESTS);
    expect(statusOf(new KvError("RAFTKV_COMPACTED"))).toEqual({
      code: status.OUT_OF_RANGE,
      details: "etcdserver: mvcc: required revision has been compacted",
    });
    expect(statusOf(new Error("boom"))).toBeUndefined();
    expect(statusOf({ code: "ENOENT" })).toBeUndefined();
    expect(statusOf("a string")).toBeUndefined();
  });
});

describe("validation before proposing", () => {
  it("refuses an empty key without proposing", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    for (const call of [
      served.client.put("", "v"),
      served.client.get(""),
      served.client.delete(""),
      served.client.txn({ success: [op.put("", "v")] }),
    ]) {
      const error = await failure(call);
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe("etcdserver: key is not provided");
    }
    expect(backend.proposals).toEqual([]);
  });

  it("refuses a txn of 129 operations, accepts 128", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    const ops = (n: number) => Array.from({ length: n }, (_, i) => op.put(`k${i}`, "v"));
    const error = await failure(served.client.txn({ success: ops(129) }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("etcdserver: too many operations in txn request");
    const compares = Array.from({ length: 129 }, (_, i) => cmp.version(`k${i}`, "=", 0));
    expect((await failure(served.client.txn({ compare: compares }))).details).toBe(
      "etcdserver: too many operations in txn request",
    );
    backend.onPropose = async () => ({ succeeded: true, responses: [] });
    await served.client.txn({ success: ops(128) });
    expect(backend.proposals.length).toBe(1);
  });

  it("refuses a key written twice in one txn", async () => {
    served = await serve(new StubBackend());
    const error = await failure(served.client.txn({ success: [op.put("k", "1"), op.put("k", "2")] }));
    expect(error.details).toBe("etcdserver: duplicate key given in txn request");
  });

  it("answers 'request is too large' for a value over maxRequestBytes", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    // Over 1.5 MiB but under the gRPC limit (1.5 MiB + 512 KiB): our message, not grpc-js's.
    const error = await failure(served.client.put("big", Buffer.alloc(1024 * 1024 + 600 * 1024)));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("etcdserver: request is too large");
    // Just under the wire limit, over the limit once framed as a command: the validator's check.
    const framed = await failure(served.client.put("k", Buffer.alloc(1.5 * 1024 * 1024 - 8)));
    expect(framed.details).toBe("etcdserver: request is too large");
    expect(backend.proposals).toEqual([]);
    // Far over: grpc-js's own limit answers.
    const huge = await failure(served.client.put("huge", Buffer.alloc(3 * 1024 * 1024)));
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it("honours a configured maxRequestBytes", async () => {
    const backend = new StubBackend();
    served = await serve(backend, { maxRequestBytes: 1024 });
    const error = await failure(served.client.put("k", Buffer.alloc(2000)));
    expect(error.details).toBe("etcdserver: request is too large");
    backend.onPropose = async () => ({ header: { revision: 2 } });
    await served.client.put("k", Buffer.alloc(900));
    expect(backend.proposals.length).toBe(1);
  });
});

describe("backend errors", () => {
  it("maps a NodeError from propose to its status", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    const cases: [NodeErrorCode, status, string][] = [
      ["RAFTKV_NO_LEADER", status.UNAVAILABLE, "etcdserver: no leader"],
      ["RAFTKV_TIMEOUT", status.UNAVAILABLE, "etcdserver: request timed out"],
      ["RAFTKV_TOO_MANY_REQUESTS", status.RESOURCE_EXHAUSTED, "etcdserver: too many requests"],
      ["RAFTKV_STOPPING", status.UNAVAILABLE, "etcdserver: server stopped"],
      ["RAFTKV_LEADER_CHANGED", status.UNAVAILABLE, "etcdserver: leader changed"],
    ];
    for (const [code, grpcCode, details] of cases) {
      backend.onPropose = () => Promise.reject(new NodeError(code));
      const error = await failure(served.client.put("k", "v"));
      expect([error.code, error.details], code).toEqual([grpcCode, details]);
    }
  });

  it("maps a failed read barrier and a KvError from range", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    backend.onBarrier = () => Promise.reject(new NodeError("RAFTKV_TIMEOUT"));
    expect((await failure(served.client.get("k"))).details).toBe("etcdserver: request timed out");
    // A serializable read needs no barrier.
    await served.client.get("k", { serializable: true });
    backend.onBarrier = async () => {};
    backend.onRange = () => {
      throw new KvError("RAFTKV_FUTURE_REVISION");
    };
    const error = await failure(served.client.get("k", { revision: 99 }));
    expect([error.code, error.details]).toEqual([
      status.OUT_OF_RANGE,
      "etcdserver: mvcc: required revision is a future revision",
    ]);
  });

  it("answers INTERNAL with a generic message for an unexpected error, and logs it", async () => {
    const backend = new StubBackend();
    const { logger, lines } = memoryLogger();
    served = await serve(backend, { logger });
    backend.onPropose = () => Promise.reject(new Error("secret internals: /var/lib/x"));
    const error = await failure(served.client.put("k", "v"));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe("etcdserver: internal error");
    const logged = lines().find((line) => line.msg === "unexpected error serving a client request");
    expect(logged?.method).toBe("Put");
    expect(JSON.stringify(logged)).toContain("secret internals");
    // A synchronous throw is handled the same way.
    backend.onRange = () => {
      throw new TypeError("bug");
    };
    expect((await failure(served.client.get("k", { serializable: true }))).code).toBe(status.INTERNAL);
  });

  it("maps MoveLeader failures", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    backend.onMoveLeader = () => Promise.reject(new NodeError("RAFTKV_BAD_LEADER_TRANSFEREE"));
    const error = await failure(served.client.moveLeader(5));
    expect([error.code, error.details]).toEqual([
      status.FAILED_PRECONDITION,
      "etcdserver: bad leader transferee",
    ]);
  });
});

describe("methods not served", () => {
  function rawCall(endpoint: string, path: string): Promise<{ code: number; details: string }> {
    const client = new Client(endpoint, credentials.createInsecure());
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        path,
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        new Metadata(),
        { deadline: Date.now() + 5000 },
        (error) => {
          client.close();
          resolve({ code: error?.code ?? status.OK, details: error?.details ?? "" });
        },
      );
    });
  }

  it("answers UNIMPLEMENTED for unknown services and methods, and keeps serving", async () => {
    const backend = new StubBackend();
    served = await serve(backend);
    expect((await rawCall(served.endpoint, "/etcdserverpb.KV/Nope")).code).toBe(status.UNIMPLEMENTED);
    expect((await rawCall(served.endpoint, "/no.such.Service/Method")).code).toBe(status.UNIMPLEMENTED);
    expect((await rawCall(served.endpoint, "/etcdserverpb.Auth/Authenticate")).code).toBe(
      status.UNIMPLEMENTED,
    );
    // Garbage instead of a protobuf message.
    const garbage = await new Promise<number>((resolve) => {
      const client = new Client(served!.endpoint, credentials.createInsecure());
      client.makeUnaryRequest(
        "/etcdserverpb.KV/Put",
        () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]),
        (value: Buffer) => value,
        {},
        new Metadata(),
        (error) => {
          client.close();
          resolve(error?.code ?? status.OK);
        },
      );
    });
    expect(garbage).toBe(status.INTERNAL);
    expect((await served.client.get("k", { serializable: true })).count).toBe(0);
  });

  it("answers Lease, Watch and membership changes UNIMPLEMENTED naming the method", async () => {
    served = await serve(new StubBackend());
    const lease = await rawCall(served.endpoint, "/etcdserverpb.Lease/LeaseGrant");
    expect(lease).toEqual({
      code: status.UNIMPLEMENTED,
      details: "raftkv: Lease.LeaseGrant is not implemented yet",
    });
    const add = await rawCall(served.endpoint, "/etcdserverpb.Cluster/MemberAdd");
    expect(add).toEqual({
      code: status.UNIMPLEMENTED,
      details: "raftkv: Cluster.MemberAdd is not implemented yet",
    });

    const watch = apiServices().watch.Watch;
    const client = new Client(served.endpoint, credentials.createInsecure());
    const stream = client.makeBidiStreamRequest(
      watch.path,
      watch.requestSerialize,
      watch.responseDeserialize,
    );
    const code = await new Promise<number>((resolve) => {
      stream.on("error", (error: { code: number }) => resolve(error.code));
      stream.on("data", () => {});
      stream.write({ createRequest: { key: Buffer.from("k") } });
    });
    client.close();
    expect(code).toBe(status.UNIMPLEMENTED);
  });
});
