// The proto files and the command encoding: shapes are exactly proto-loader's.

import protoLoader from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import {
  type Command,
  decodeCommand,
  ETCD_PROTO_FILES,
  encodeCommand,
  encodeCommandFromBytes,
  etcdRoot,
  KIND_CODES,
  nodeIdHash,
  PROTO_DIR,
  PROTO_LOADER_OPTIONS,
  RequestIdSource,
  readCommandHeader,
  type TxnRequest,
} from "../../src/kv/index.js";
import { cmp, deleteReq, opDelete, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from "./helpers.js";

const definitions = protoLoader.loadSync([...ETCD_PROTO_FILES, "grpc/health/v1/health.proto"], {
  ...PROTO_LOADER_OPTIONS,
  includeDirs: [PROTO_DIR],
});

type MethodDef = protoLoader.MethodDefinition<object, object>;
const service = (name: string) => definitions[name] as protoLoader.ServiceDefinition;

describe("proto files", () => {
  it.each([
    ["etcdserverpb.KV", ["Range", "Put", "DeleteRange", "Txn", "Compact"]],
    ["etcdserverpb.Watch", ["Watch"]],
    ["etcdserverpb.Lease", ["LeaseGrant", "LeaseRevoke", "LeaseKeepAlive", "LeaseTimeToLive", "LeaseLeases"]],
    ["etcdserverpb.Cluster", ["MemberAdd", "MemberRemove", "MemberUpdate", "MemberList", "MemberPromote"]],
    [
      "etcdserverpb.Maintenance",
      ["Alarm", "Status", "Defragment", "Hash", "HashKV", "Snapshot", "MoveLeader"],
    ],
    ["grpc.health.v1.Health", ["Check", "Watch"]],
  ])("%s serves %j", (name, methods) => {
    const def = service(name);
    expect(Object.keys(def)).toEqual(methods);
    for (const method of methods) {
      expect((def[method] as MethodDef).path).toBe(`/${name}/${method}`);
    }
  });

  it("streams where etcd streams", () => {
    const streaming = (name: string, method: string) => {
      const m = service(name)[method] as MethodDef;
      return [m.requestStream, m.responseStream];
    };
    expect(streaming("etcdserverpb.Watch", "Watch")).toEqual([true, true]);
    expect(streaming("etcdserverpb.Lease", "LeaseKeepAlive")).toEqual([true, true]);
    expect(streaming("etcdserverpb.Maintenance", "Snapshot")).toEqual([false, true]);
    expect(streaming("grpc.health.v1.Health", "Watch")).toEqual([false, true]);
    expect(streaming("etcdserverpb.KV", "Range")).toEqual([false, false]);
  });

  // Field numbers are the wire contract with etcd clients.
  it.each<[string, Record<string, number>]>([
    ["mvccpb.KeyValue", { key: 1, createRevision: 2, modRevision: 3, version: 4, value: 5, lease: 6 }],
    ["mvccpb.Event", { type: 1, kv: 2, prevKv: 3 }],
    ["etcdserverpb.ResponseHeader", { clusterId: 1, memberId: 2, revision: 3, raftTerm: 4 }],
    [
      "etcdserverpb.RangeRequest",
      {
        key: 1,
        rangeEnd: 2,
        limit: 3,
        revision: 4,
        sortOrder: 5,
        sortTarget: 6,
        serializable: 7,
        keysOnly: 8,
        countOnly: 9,
        minModRevision: 10,
        maxModRevision: 11,
        minCreateRevision: 12,
        maxCreateRevision: 13,
      },
    ],
    ["etcdserverpb.RangeResponse", { header: 1, kvs: 2, more: 3, count: 4 }],
    ["etcdserverpb.PutRequest", { key: 1, value: 2, lease: 3, prevKv: 4, ignoreValue: 5, ignoreLease: 6 }],
    ["etcdserverpb.PutResponse", { header: 1, prevKv: 2 }],
    ["etcdserverpb.DeleteRangeRequest", { key: 1, rangeEnd: 2, prevKv: 3 }],
    ["etcdserverpb.DeleteRangeResponse", { header: 1, deleted: 2, prevKvs: 3 }],
    ["etcdserverpb.RequestOp", { requestRange: 1, requestPut: 2, requestDeleteRange: 3, requestTxn: 4 }],
    ["etcdserverpb.ResponseOp", { responseRange: 1, responsePut: 2, responseDeleteRange: 3, responseTxn: 4 }],
    [
      "etcdserverpb.Compare",
      {
        result: 1,
        target: 2,
        key: 3,
        version: 4,
        createRevision: 5,
        modRevision: 6,
        value: 7,
        lease: 8,
        rangeEnd: 64,
      },
    ],
    ["etcdserverpb.TxnRequest", { compare: 1, success: 2, failure: 3 }],
    ["etcdserverpb.TxnResponse", { header: 1, succeeded: 2, responses: 3 }],
    ["etcdserverpb.CompactionRequest", { revision: 1, physical: 2 }],
    ["etcdserverpb.HashKVResponse", { header: 1, hash: 2, compactRevision: 3, hashRevision: 4 }],
    ["etcdserverpb.SnapshotResponse", { header: 1, remainingBytes: 2, blob: 3, version: 4 }],
    ["etcdserverpb.WatchRequest", { createRequest: 1, cancelRequest: 2, progressRequest: 3 }],
    [
      "etcdserverpb.WatchCreateRequest",
      {
        key: 1,
        rangeEnd: 2,
        startRevision: 3,
        progressNotify: 4,
        filters: 5,
        prevKv: 6,
        watchId: 7,
        fragment: 8,
      },
    ],
    [
      "etcdserverpb.WatchResponse",
      {
        header: 1,
        watchId: 2,
        created: 3,
        canceled: 4,
        compactRevision: 5,
        cancelReason: 6,
        fragment: 7,
        events: 11,
      },
    ],
    ["etcdserverpb.LeaseGrantRequest", { TTL: 1, ID: 2 }],
    ["etcdserverpb.LeaseGrantResponse", { header: 1, ID: 2, TTL: 3, error: 4 }],
    ["etcdserverpb.LeaseTimeToLiveResponse", { header: 1, ID: 2, TTL: 3, grantedTTL: 4, keys: 5 }],
    ["etcdserverpb.LeaseCheckpoint", { ID: 1, remaining_TTL: 2 }],
    ["etcdserverpb.Member", { ID: 1, name: 2, peerURLs: 3, clientURLs: 4, isLearner: 5 }],
    ["etcdserverpb.MemberAddResponse", { header: 1, member: 2, members: 3 }],
    [
      "etcdserverpb.StatusResponse",
      {
        header: 1,
        version: 2,
        dbSize: 3,
        leader: 4,
        raftIndex: 5,
        raftTerm: 6,
        raftAppliedIndex: 7,
        errors: 8,
        dbSizeInUse: 9,
        isLearner: 10,
        storageVersion: 11,
        dbSizeQuota: 12,
        downgradeInfo: 13,
      },
    ],
    ["etcdserverpb.AlarmRequest", { action: 1, memberID: 2, alarm: 3 }],
    ["etcdserverpb.MoveLeaderRequest", { targetID: 1 }],
  ])("%s field numbers", (name, numbers) => {
    const type = etcdRoot().lookupType(name);
    const actual = Object.fromEntries(type.fieldsArray.map((f) => [f.name, f.id]));
    expect(actual).toEqual(numbers);
  });

  it("enums have etcd's numbers", () => {
    const values = (name: string) => etcdRoot().lookupEnum(name).values;
    expect(values("etcdserverpb.RangeRequest.SortOrder")).toEqual({ NONE: 0, ASCEND: 1, DESCEND: 2 });
    expect(values("etcdserverpb.RangeRequest.SortTarget")).toEqual({
      KEY: 0,
      VERSION: 1,
      CREATE: 2,
      MOD: 3,
      VALUE: 4,
    });
    expect(values("etcdserverpb.Compare.CompareResult")).toEqual({
      EQUAL: 0,
      GREATER: 1,
      LESS: 2,
      NOT_EQUAL: 3,
    });
    expect(values("etcdserverpb.Compare.CompareTarget")).toEqual({
      VERSION: 0,
      CREATE: 1,
      MOD: 2,
      VALUE: 3,
      LEASE: 4,
    });
    expect(values("mvccpb.Event.EventType")).toEqual({ PUT: 0, DELETE: 1 });
    expect(values("etcdserverpb.AlarmType")).toEqual({ NONE: 0, NOSPACE: 1, CORRUPT: 2 });
  });
});

const bigTxn: TxnRequest = txnReq(
  [
    cmp("a", "VERSION", "EQUAL", 0),
    cmp("b", "VALUE", "NOT_EQUAL", "x", "c"),
    cmp("k", "LEASE", "GREATER", 7),
  ],
  [
    opPut(putReq("a", "1", { lease: 5, prevKv: true })),
    opRange(rangeReq("a", "b", { limit: 5, sortOrder: "DESCEND" })),
  ],
  [
    opDelete(deleteReq("z", "\0", true)),
    opTxn(txnReq([cmp("q", "MOD", "LESS", 1)], [opPut(putReq("q", "2"))])),
  ],
);

describe("commands", () => {
  it.each<Command>([
    { id: 1n, kind: "put", request: putReq("key", "value", { lease: 9, ignoreLease: false, prevKv: true }) },
    { id: 2n ** 64n - 1n, kind: "deleteRange", request: deleteReq("a", "\0", true) },
    { id: 3n, kind: "txn", request: bigTxn },
    { id: 4n, kind: "compaction", request: { revision: 42, physical: true } },
    { id: 5n, kind: "leaseGrant", request: { TTL: 10, ID: 77 } },
    { id: 6n, kind: "leaseRevoke", request: { ID: 77 } },
    { id: 7n, kind: "leaseCheckpoint", request: { checkpoints: [{ ID: 1, remaining_TTL: 3 }] } },
  ])("round-trips $kind", (command) => {
    const bytes = encodeCommand(command.id, command.kind, command.request);
    expect(readCommandHeader(bytes)).toEqual({ id: command.id, kind: command.kind });
    expect(bytes[1]).toBe(KIND_CODES[command.kind]);
    expect(decodeCommand(bytes)).toEqual(command);
    // decodes from a plain Uint8Array too, with Buffers for bytes fields
    const copy = new Uint8Array(bytes);
    expect(decodeCommand(copy)).toEqual(command);
  });

  it("decodes to exactly what proto-loader gives the gRPC handler", () => {
    const methods: [keyof typeof KIND_CODES, string, string, object][] = [
      ["put", "etcdserverpb.KV", "Put", putReq("k", "v", { ignoreValue: true })],
      ["deleteRange", "etcdserverpb.KV", "DeleteRange", deleteReq("a", "b")],
      ["txn", "etcdserverpb.KV", "Txn", bigTxn],
      ["compaction", "etcdserverpb.KV", "Compact", { revision: 3, physical: false }],
      ["leaseGrant", "etcdserverpb.Lease", "LeaseGrant", { TTL: 5, ID: 0 }],
    ];
    for (const [kind, serviceName, method, request] of methods) {
      const def = service(serviceName)[method] as MethodDef;
      const wire = def.requestSerialize(request);
      const fromGrpc = def.requestDeserialize(wire);
      // proto-loader reads our encoding back to the same object (ours is canonical, so shorter:
      // proto-loader's serializer writes zero fields too)
      const ours = encodeCommand(9n, kind, fromGrpc as never).subarray(10);
      expect(def.requestDeserialize(ours)).toEqual(fromGrpc);
      expect(ours.length).toBeLessThanOrEqual(wire.length);
      // and so do the decoded shapes
      expect(decodeCommand(encodeCommandFromBytes(9n, kind, wire)).request).toEqual(fromGrpc);
    }
  });

  it("gives each command a buffer of its own, not a slice of a shared pool (entries live long)", () => {
    for (const data of [
      encodeCommand(1n, "put", putReq("k", "v")),
      encodeCommandFromBytes(2n, "put", Buffer.of(0x0a, 0x01, 0x6b)),
    ]) {
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(data.length);
    }
  });

  it("encodes defaults canonically (nothing for zero fields)", () => {
    expect(encodeCommand(1n, "put", putReq("k", "")).subarray(10).toString("hex")).toBe("0a016b");
  });

  it("refuses what is not a command", () => {
    const good = encodeCommand(1n, "put", putReq("k", "v"));
    expect(() => decodeCommand(good.subarray(0, 5))).toThrow("shorter than its header");
    expect(() => decodeCommand(Buffer.concat([Buffer.of(2), good.subarray(1)]))).toThrow("format version");
    expect(() => decodeCommand(Buffer.concat([Buffer.of(1, 99), good.subarray(2)]))).toThrow(
      "unknown command kind",
    );
    expect(() => decodeCommand(Buffer.concat([good.subarray(0, 10), Buffer.of(0x0a, 0x05, 0x61)]))).toThrow(
      "does not decode",
    );
    expect(() => encodeCommand(-1n, "put", putReq("k", "v"))).toThrow(TypeError);
    expect(() =>
      encodeCommand(1n, "txn", txnReq([{ ...cmp("a", "VERSION", "EQUAL", 0), result: "SAME" as never }])),
    ).toThrow("unknown enum value");
  });
});

describe("request ids", () => {
  it("are the node hash and a wrapping sequence", () => {
    const source = new RequestIdSource("node-1", 2 ** 32 - 2);
    const high = BigInt(nodeIdHash("node-1")) << 32n;
    expect([source.next(), source.next(), source.next()]).toEqual([
      high | 0xfffffffen,
      high | 0xffffffffn,
      high,
    ]);
    expect(nodeIdHash("node-1")).not.toBe(nodeIdHash("node-2"));
    expect(nodeIdHash(7)).toBe(nodeIdHash("7"));
  });
});
