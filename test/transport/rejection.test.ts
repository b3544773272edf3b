// The receiving side under bad input: another cluster, unknown or misaddressed senders,
// malformed batches, garbage bytes and HTTP/1 on the peer port. Each is refused with a clear
// status, counted, logged once per offender per minute, and the server keeps serving.

import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { encodeBatch } from "../../src/transport/codec.js";
import { TransportError } from "../../src/transport/index.js";
import { CLUSTER, Harness, type Member, msg } from "./helpers.js";

let h = new Harness();
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await h.closeAll();
  h = new Harness();
});

const warnings = (m: Member, pattern: RegExp) =>
  m.log.filter((l) => l.level === "warn" && pattern.test(l.msg));

/** Opens a raw Stream call claiming the given identities, writes `payloads`, returns the status. */
function rawStream(
  url: string,
  ids: { cluster: string; from: string; to: string } | null,
  payloads: Buffer[],
): Promise<ServiceError | null> {
  const client = new Client(url.replace("http://", ""), credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  clients.push(client);
  const md = new Metadata();
  if (ids !== null) {
    md.set("raftkv-cluster-id", ids.cluster);
    md.set("raftkv-from", ids.from);
    md.set("raftkv-to", ids.to);
  }
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest<Buffer, Buffer>(
      "/raftkv.raft.v1.Raft/Stream",
      (b) => b,
      (b) => b,
      md,
      {},
      (err) => resolve(err ?? null),
    );
    for (const p of payloads) call.write(p);
    call.end();
  });
}

async function liveSenderStillDelivers(server: Member): Promise<void> {
  const peer = await h.member(100 + server.received.length);
  h.connect(peer, server);
  peer.transport.send([msg({ from: peer.id, to: server.id, index: 77 })]);
  await h.waiter.until(
    () => server.received.some((m) => m.from === peer.id && m.index === 77),
    "a legitimate peer's message delivered",
  );
}

describe("rejection of foreign and unknown senders", () => {
  it("rejects another cluster's messages, counts them, warns once a minute", async () => {
    const b = await h.member(2);
    const x = await h.member(5, { clusterId: 0xbad, backoffInitialMs: 5, backoffMaxMs: 20 });
    b.transport.addPeer(5, x.url); // a member ID b knows, but in another cluster
    x.transport.addPeer(2, b.url);
    x.transport.send([msg({ clusterId: 0xbad, from: 5, to: 2 })]);
    await h.waiter.until(() => b.transport.stats().rejected >= 5, "five rejected streams");
    const expected =
      /^raftkv: message from cluster 0000000000000bad rejected \(this is cluster 00000000000000c1\)$/;
    expect(warnings(b, expected)).toHaveLength(1);
    expect(b.log.filter((l) => expected.test(l.msg)).length).toBeGreaterThanOrEqual(5); // the rest at debug
    expect(b.transport.stats().peers.get(5)?.rejected).toBeGreaterThanOrEqual(5);
    expect(b.received).toEqual([]);
    // The sender learns why, and reports the peer unreachable to its node.
    expect(x.unreachable).toContain(2);
    expect(JSON.stringify(warnings(x, /stream to peer broken/)[0]?.obj)).toMatch(
      /cluster 0000000000000bad rejected/,
    );
    const probe = x.transport.probe(b.url);
    await expect(probe).rejects.toBeInstanceOf(TransportError);
    await expect(probe).rejects.toMatchObject({ code: "RAFTKV_WRONG_CLUSTER" });
  });

  it("rejects a sender that is not in the peer map", async () => {
    const b = await h.member(2);
    const y = await h.member(9);
    y.transport.addPeer(2, b.url);
    await h.waiter.until(() => b.transport.stats().rejected >= 1, "a rejected stream");
    expect(warnings(b, /^raftkv: message from unknown member 0000000000000009 rejected/)).toHaveLength(1);
    expect(b.transport.stats().peers.has(9)).toBe(false);
    const err = await rawStream(b.url, { cluster: String(CLUSTER), from: "9", to: "2" }, []);
    expect(err?.code).toBe(status.FAILED_PRECONDITION);
    expect(err?.details).toMatch(/unknown member 0000000000000009/);
  });

  it("a member marked removed: its open stream ends and it hears it was removed, as etcd's ErrMemberRemoved", async () => {
    const b = await h.member(2);
    const removedBy: number[] = [];
    const a = await h.member(1, { onRemoved: (by) => removedBy.push(by) });
    h.connect(a, b);
    a.transport.send([msg({ from: 1, to: 2, index: 5 })]);
    await h.waiter.until(() => b.received.some((m) => m.index === 5), "a delivered while a member");
    b.transport.markRemoved(1);
    // No message needed: the stream a had open is ended with RAFTKV_MEMBER_REMOVED.
    await h.waiter.until(() => removedBy.length > 0, "a told it was removed");
    expect(removedBy[0]).toBe(2);
    const err = await rawStream(b.url, { cluster: String(CLUSTER), from: "1", to: "2" }, []);
    expect(err?.code).toBe(status.FAILED_PRECONDITION);
    expect(err?.details).toBe(
      "raftkv: member 0000000000000001: the member has been permanently removed from the cluster",
    );
    expect(err?.metadata.get("raftkv-error-code")).toEqual(["RAFTKV_MEMBER_REMOVED"]);
  });

  it("rejects messages for another member", async () => {
    const b = await h.member(2);
    const a = await h.member(1);
    b.transport.addPeer(1, a.url);
    a.transport.addPeer(3, b.url); // the wrong URL for member 3
    await h.waiter.until(() => b.transport.stats().rejected >= 1, "a rejected stream");
    expect(
      warnings(b, /^raftkv: message for member 0000000000000003 rejected \(this is member 0000000000000002/),
    ).toHaveLength(1);
    await expect(a.transport.probe(b.url, { expectMemberId: 3 })).rejects.toMatchObject({
      code: "RAFTKV_WRONG_MEMBER",
    });
    await expect(a.transport.probe(b.url)).resolves.toEqual({ clusterId: CLUSTER, memberId: 2, name: "m2" });
  });
});

describe("malformed input on the peer port", () => {
  it("answers malformed batches with INVALID_ARGUMENT and keeps serving", async () => {
    const b = await h.member(2);
    b.transport.addPeer(1, "127.0.0.1:1");
    const ids = { cluster: String(CLUSTER), from: "1", to: "2" };
    const good = encodeBatch(CLUSTER, 1, 2, [msg({ from: 1, to: 2, index: 5 })]);

    const garbage = await rawStream(b.url, ids, [Buffer.from([0x22, 0x7f, 0x01])]);
    expect(garbage?.code).toBe(status.INVALID_ARGUMENT);
    expect(garbage?.details).toMatch(/^raftkv: malformed Batch from 0000000000000001: .*overruns/);

    // A "negative" index (2^64 - 1 as a uint64) and an unknown message type.
    const negativeIndex = Buffer.from([
      ...encodeBatch(CLUSTER, 1, 2, []),
      // messages (20 bytes): type heartbeat, cluster 0xc1, from 1, to 2, index (field 7) ...
      ...[0x22, 0x14, 0x08, 0x08, 0x10, 0xc1, 0x01, 0x18, 0x01, 0x20, 0x02, 0x38],
      ...new Array(9).fill(0xff),
      0x01,
    ]);
    const neg = await rawStream(b.url, ids, [negativeIndex]);
    expect(neg?.code).toBe(status.INVALID_ARGUMENT);
    expect(neg?.details).toMatch(/messages\[0\]\.index: integer out of range/);
    const unknownType = Buffer.from([...encodeBatch(CLUSTER, 1, 2, []), 0x22, 0x02, 0x08, 99]);
    const unk = await rawStream(b.url, ids, [unknownType]);
    expect(unk?.details).toMatch(/unknown message type 99/);

    // Batch fields that contradict the stream's metadata.
    const foreign = await rawStream(b.url, ids, [encodeBatch(0xbad, 1, 2, [])]);
    expect(foreign?.code).toBe(status.FAILED_PRECONDITION);
    expect(foreign?.details).toMatch(/cluster 0000000000000bad rejected/);

    // Missing metadata.
    const anonymous = await rawStream(b.url, null, [good]);
    expect(anonymous?.code).toBe(status.INVALID_ARGUMENT);
    expect(anonymous?.details).toMatch(/without valid raftkv-cluster-id/);

    // Over the 16 MiB receive limit: grpc-js refuses it before our handler sees it (not counted).
    const huge = await rawStream(b.url, ids, [Buffer.alloc(17 * 1024 * 1024)]);
    expect(huge?.code).toBe(status.RESOURCE_EXHAUSTED);

    // A good batch on a fresh stream is still delivered.
    expect(await rawStream(b.url, ids, [good])).toBeNull();
    expect(b.received.map((m) => m.index)).toEqual([5]);
    expect(b.transport.stats().rejected).toBe(5);
    expect(b.transport.stats().peers.get(1)).toMatchObject({ rejected: 4, received: 1 });
  });

  it("survives garbage bytes, HTTP/1 and non-gRPC HTTP/2 on the peer port", async () => {
    const b = await h.member(2);

    // Raw garbage over TCP: the server drops the connection.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(b.port, "127.0.0.1", () => {
        socket.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
        socket.write("\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n garbage");
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve());
      socket.setTimeout(10_000, () => reject(new Error("server kept a garbage connection open")));
      socket.resume();
    });

    // HTTP/1.1: refused one way or another, never a crash.
    await new Promise<void>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: b.port, path: "/", method: "POST" }, (res) => {
        res.resume();
        res.on("end", () => resolve());
        res.on("error", () => resolve());
      });
      req.on("error", () => resolve());
      req.end("hello");
    });

    // HTTP/2 but not gRPC: wrong content type, then an unknown method.
    const session = http2.connect(`http://127.0.0.1:${b.port}`);
    session.on("error", () => {});
    const statusOf = (headers: http2.OutgoingHttpHeaders) =>
      new Promise<http2.IncomingHttpHeaders>((resolve) => {
        const req = session.request(headers);
        req.on("response", (res) => resolve(res));
        req.on("error", () => resolve({}));
        req.resume();
        req.end(Buffer.from("{}"));
      });
    const json = await statusOf({
      ":method": "POST",
      ":path": "/raftkv.raft.v1.Raft/Stream",
      "content-type": "application/json",
    });
    expect(json[":status"]).toBe(415);
    const unknown = await statusOf({
      ":method": "POST",
      ":path": "/raftkv.raft.v1.Raft/Nope",
      "content-type": "application/grpc",
      te: "trailers",
    });
    expect(unknown["grpc-status"]).toBe(String(status.UNIMPLEMENTED));
    session.close();

    await liveSenderStillDelivers(b);
  });
});
