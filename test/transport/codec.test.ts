// The hand-written codec against the contract: bytes it writes decode with protobufjs (through
// @grpc/proto-loader, from proto/raftkv/raft/v1/raft.proto) to the same values, and bytes
// protobufjs writes decode with it to the same Message.

import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Entry, Message, MessageType } from "../../src/raft/types.js";
import {
  decodeBatch,
  decodeProbeRequest,
  decodeSnapshotChunk,
  encodeBatch,
  encodeProbeRequest,
  encodeSnapshotChunk,
} from "../../src/transport/codec.js";
import { WireError } from "../../src/transport/wire.js";

const PROTO = fileURLToPath(new URL("../../proto/raftkv/raft/v1/raft.proto", import.meta.url));
const definition = protoLoader.loadSync(PROTO, {
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
});
const raft = definition["raftkv.raft.v1.Raft"] as unknown as Record<
  string,
  { requestSerialize: (v: object) => Buffer; requestDeserialize: (b: Buffer) => Record<string, unknown> }
>;
const batchCodec = raft.Stream!;
const chunkCodec = raft.InstallSnapshot!;
const probeCodec = raft.Probe!;

const WIRE_TYPES: readonly MessageType[] = [
  "prop",
  "app",
  "appResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "heartbeat",
  "heartbeatResp",
  "snap",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
  "transferLeader",
];

const ENUM_NAME: Record<string, string> = {
  prop: "MESSAGE_TYPE_PROP",
  app: "MESSAGE_TYPE_APP",
  appResp: "MESSAGE_TYPE_APP_RESP",
  vote: "MESSAGE_TYPE_VOTE",
  voteResp: "MESSAGE_TYPE_VOTE_RESP",
  preVote: "MESSAGE_TYPE_PRE_VOTE",
  preVoteResp: "MESSAGE_TYPE_PRE_VOTE_RESP",
  heartbeat: "MESSAGE_TYPE_HEARTBEAT",
  heartbeatResp: "MESSAGE_TYPE_HEARTBEAT_RESP",
  snap: "MESSAGE_TYPE_SNAP",
  timeoutNow: "MESSAGE_TYPE_TIMEOUT_NOW",
  readIndex: "MESSAGE_TYPE_READ_INDEX",
  readIndexResp: "MESSAGE_TYPE_READ_INDEX_RESP",
  transferLeader: "MESSAGE_TYPE_TRANSFER_LEADER",
};

const uint = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constant(Number.MAX_SAFE_INTEGER),
);
const id = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));

const entryArb: fc.Arbitrary<Entry> = fc.record({
  term: uint,
  index: uint,
  type: fc.constantFrom("normal" as const, "confChange" as const),
  data: bytes,
});

function messageArb(clusterId: number, from: number, to: number): fc.Arbitrary<Message> {
  return fc
    .record({
      type: fc.constantFrom(...WIRE_TYPES),
      term: uint,
      logTerm: uint,
      index: uint,
      entries: fc.array(entryArb, { maxLength: 5 }),
      commit: uint,
      reject: fc.boolean(),
      rejectHint: uint,
      context: bytes,
      snapshot: fc.record({
        meta: fc.record({
          index: uint,
          term: uint,
          confState: fc.record({
            voters: fc.array(id, { maxLength: 5 }),
            learners: fc.array(id, { maxLength: 3 }),
          }),
        }),
        data: bytes,
      }),
    })
    .map((r) => ({ ...r, clusterId, from, to, snapshot: r.type === "snap" ? r.snapshot : null }));
}

const batchArb = fc
  .tuple(id, id, id)
  .chain(([c, f, t]) =>
    fc.tuple(fc.constant([c, f, t] as const), fc.array(messageArb(c, f, t), { maxLength: 6 })),
  );

/** The object protobufjs produces (or takes) for a domain Message. */
function toProtoObject(m: Message): Record<string, unknown> {
  return {
    type: ENUM_NAME[m.type],
    clusterId: m.clusterId,
    from: m.from,
    to: m.to,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map((e) => ({
      term: e.term,
      index: e.index,
      type: e.type === "normal" ? "ENTRY_TYPE_NORMAL" : "ENTRY_TYPE_CONF_CHANGE",
      data: Buffer.from(e.data),
    })),
    commit: m.commit,
    snapshot:
      m.snapshot === null
        ? null
        : {
            metadata: {
              index: m.snapshot.meta.index,
              term: m.snapshot.meta.term,
              voters: [...m.snapshot.meta.confState.voters],
              learners: [...m.snapshot.meta.confState.learners],
            },
            data: Buffer.from(m.snapshot.data),
          },
    reject: m.reject,
    rejectHint: m.rejectHint,
    context: Buffer.from(m.context),
  };
}

/** Normalises Uint8Arrays to Buffers so that toEqual compares contents. */
function normalise(m: Message): unknown {
  return JSON.parse(JSON.stringify(toProtoObject(m)));
}

describe("codec against raft.proto", () => {
  it("writes Batches that protobufjs reads back field for field", () => {
    fc.assert(
      fc.property(batchArb, ([[c, f, t], messages]) => {
        const decoded = batchCodec.requestDeserialize(encodeBatch(c, f, t, messages));
        expect(JSON.parse(JSON.stringify(decoded))).toEqual(
          JSON.parse(JSON.stringify({ messages: messages.map(toProtoObject), clusterId: c, from: f, to: t })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("reads Batches that protobufjs writes", () => {
    fc.assert(
      fc.property(batchArb, ([[c, f, t], messages]) => {
        const wire = batchCodec.requestSerialize({
          clusterId: c,
          from: f,
          to: t,
          messages: messages.map(toProtoObject),
        });
        const batch = decodeBatch(wire);
        expect([batch.clusterId, batch.from, batch.to]).toEqual([c, f, t]);
        expect(batch.messages.map(normalise)).toEqual(messages.map(normalise));
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips snapshot chunks, the header's message without its data", () => {
    const snap = {
      type: "snap" as const,
      clusterId: 7,
      from: 1,
      to: 2,
      term: 3,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      snapshot: {
        meta: { index: 100, term: 3, confState: { voters: [1, 2, 3], learners: [4] } },
        data: Buffer.from("inline"),
      },
      reject: false,
      rejectHint: 0,
      context: new Uint8Array(0),
    };
    const first = encodeSnapshotChunk({
      header: { clusterId: 7, from: 1, to: 2, message: snap },
      data: Buffer.from("ab"),
      last: false,
    });
    const viaProtobufjs = chunkCodec.requestDeserialize(first) as {
      header: { message: { snapshot: { data: Buffer } } };
    };
    expect(viaProtobufjs.header.message.snapshot.data.length).toBe(0);
    const decoded = decodeSnapshotChunk(first);
    expect(decoded.header?.message.snapshot?.meta).toEqual(snap.snapshot.meta);
    expect(Buffer.from(decoded.data).toString()).toBe("ab");
    expect(decoded.last).toBe(false);
    const last = decodeSnapshotChunk(chunkCodec.requestSerialize({ data: Buffer.from("z"), last: true }));
    expect([last.header, Buffer.from(last.data).toString(), last.last]).toEqual([null, "z", true]);
  });

  it("round-trips probes", () => {
    const wire = encodeProbeRequest({ clusterId: 5, from: 6, to: 0, name: "n-é" });
    expect(probeCodec.requestDeserialize(wire)).toEqual({ clusterId: 5, from: 6, to: 0, name: "n-é" });
    expect(decodeProbeRequest(probeCodec.requestSerialize({ clusterId: 9, name: "x" }))).toEqual({
      clusterId: 9,
      from: 0,
      to: 0,
      name: "x",
    });
  });
});

describe("codec rejects bad input", () => {
  const good = () => ({
    clusterId: 1,
    from: 2,
    to: 3,
    messages: [{ type: "MESSAGE_TYPE_APP", clusterId: 1, from: 2, to: 3 }],
  });
  const cases: [string, Buffer, RegExp][] = [
    [
      "an index of 2^64 - 1 (a negative int64)",
      // Written by hand: protobufjs would clamp -1 for a uint64. 0x38 = field 7 (index), varint.
      Buffer.from([
        0x08,
        0x01,
        0x10,
        0x02,
        0x18,
        0x03,
        0x22,
        0x13,
        0x08,
        0x02,
        0x10,
        0x01,
        0x18,
        0x02,
        0x20,
        0x03,
        0x38,
        ...new Array(9).fill(0xff),
        0x01,
      ]),
      /messages\[0\]\.index: integer out of range/,
    ],
    [
      "an unknown message type",
      Buffer.concat([Buffer.from([0x22, 0x02, 0x08, 99])]),
      /unknown message type 99/,
    ],
    ["an unspecified message type", Buffer.from([0x22, 0x02, 0x10, 0x01]), /unknown message type 0/],
    [
      "an unknown entry type",
      Buffer.from([0x22, 0x06, 0x08, 0x02, 0x42, 0x02, 0x18, 0x07]),
      /entries\[0\]\.type: unknown entry type 7/,
    ],
    ["a length running past the end", Buffer.from([0x22, 0x7f, 0x08]), /overruns/],
    ["a truncated varint", Buffer.from([0x08, 0xff]), /truncated varint/],
    [
      "an over-long varint",
      Buffer.from([0x08, ...new Array(11).fill(0xff)]),
      /longer than 10 bytes|out of range/,
    ],
    ["field number 0", Buffer.from([0x00, 0x01]), /field number 0/],
    ["a group wire type", Buffer.from([0x2b]), /wire type/],
    ["a message field with the wrong wire type", Buffer.from([0x20, 0x01]), /wire type/],
    ["a snap message without a snapshot", Buffer.from([0x22, 0x02, 0x08, 10]), /without a snapshot/],
    [
      "a message from another sender than its batch",
      batchCodec.requestSerialize({ ...good(), messages: [{ ...good().messages[0], from: 9 }] }),
      /differ from the batch/,
    ],
  ];
  for (const [what, bytesIn, pattern] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => decodeBatch(bytesIn)).toThrow(WireError);
      expect(() => decodeBatch(bytesIn)).toThrow(pattern);
    });
  }

  it("never throws anything but WireError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (a) => {
        try {
          decodeBatch(a);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
        try {
          decodeSnapshotChunk(a);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses to encode local message types and unsafe integers", () => {
    const base = decodeBatch(batchCodec.requestSerialize(good())).messages[0]!;
    expect(() => encodeBatch(1, 2, 3, [{ ...base, type: "hup" }])).toThrow(/local/);
    expect(() => encodeBatch(1, 2, 3, [{ ...base, index: 2 ** 53 }])).toThrow(TypeError);
    expect(() => encodeBatch(1, 2, 3, [{ ...base, term: -1 }])).toThrow(TypeError);
  });
});
