// Delivery between real transports on loopback: order, isolation of a dead or stuck peer,
// reconnection after a restart, bounded queues.

import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/raft/types.js";
import { append, Harness, msg } from "./helpers.js";

let h = new Harness();
afterEach(async () => {
  await h.closeAll();
  h = new Harness();
});

const indexes = (ms: readonly Message[]) => ms.map((m) => m.index);
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never answers: a stuck peer. */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("GrpcTransport delivery", () => {
  it("carries batches between two members, in order, both ways", async () => {
    const a = await h.member(1);
    const b = await h.member(2);
    h.connect(a, b);
    // Several turns of the event loop, several messages per turn.
    for (let turn = 0; turn < 20; turn++) {
      a.transport.send(range(50, turn * 50 + 1).map((i) => append(1, 2, i, 2, 100)));
      b.transport.send([msg({ type: "appResp", from: 2, to: 1, index: turn + 1 })]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await h.waiter.until(
      () => b.received.length === 1000 && a.received.length === 20,
      "all messages delivered",
    );
    expect(indexes(b.received)).toEqual(range(1000));
    expect(indexes(a.received)).toEqual(range(20));
    const first = b.received[0]!;
    expect(first).toMatchObject({
      type: "app",
      clusterId: 0xc1,
      from: 1,
      to: 2,
      index: 1,
      logTerm: 1,
      commit: 1,
    });
    expect(first.entries.map((e) => [e.index, e.type, Buffer.from(e.data).toString("hex")])).toEqual([
      [2, "normal", "01".repeat(100)],
      [3, "normal", "02".repeat(100)],
    ]);
    const stats = a.transport.stats();
    expect(stats.peers.get(2)).toMatchObject({
      sent: 1000,
      dropped: 0,
      received: 20,
      rejected: 0,
      state: "active",
    });
    expect(b.transport.stats().peers.get(1)).toMatchObject({ sent: 20, received: 1000 });
  });

  it("connects three members all to all", async () => {
    const ms = [await h.member(1), await h.member(2), await h.member(3)];
    h.connect(...ms);
    for (const from of ms) {
      for (const to of ms) {
        if (from === to) continue;
        from.transport.send(
          range(100).map((i) => msg({ type: "vote", from: from.id, to: to.id, index: i, term: 7 })),
        );
      }
    }
    await h.waiter.until(() => ms.every((m) => m.received.length === 200), "200 messages at each member");
    for (const m of ms) {
      for (const other of ms) {
        if (other === m) continue;
        expect(indexes(m.received.filter((x) => x.from === other.id))).toEqual(range(100));
      }
    }
  });

  it("keeps delivering to a live peer while another is dead or stuck", async () => {
    const a = await h.member(1, { maxQueuedMessagesPerPeer: 1000 });
    const b = await h.member(2);
    const stuck = await blackHole();
    try {
      a.transport.addPeer(2, b.url);
      a.transport.addPeer(3, `http://127.0.0.1:${await closedPort()}`);
      a.transport.addPeer(4, stuck.url);
      b.transport.addPeer(1, a.url);
      await h.waiter.until(() => a.unreachable.includes(3), "the dead peer reported unreachable");
      for (let i = 1; i <= 2000; i++) {
        a.transport.send([append(1, 2, i), append(1, 3, i), append(1, 4, i)]);
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await h.waiter.until(() => b.received.length === 2000, "everything delivered to the live peer");
      expect(indexes(b.received)).toEqual(range(2000));
      const stats = a.transport.stats().peers;
      // The dead peer refuses connections: between attempts its messages drop at once.
      expect(stats.get(3)?.sent).toBe(0);
      expect((stats.get(3)?.dropped ?? 0) + (stats.get(3)?.queued ?? 0)).toBe(2000);
      // The stuck peer never completes the HTTP/2 handshake: its queue fills, then drops.
      expect(stats.get(4)).toMatchObject({ state: "connecting", sent: 0, queued: 1000, dropped: 1000 });
    } finally {
      await stuck.close();
    }
  });

  it("reconnects to a peer that restarts on the same address", async () => {
    const a = await h.member(1, { backoffInitialMs: 20, backoffMaxMs: 200 });
    let b = await h.member(2);
    h.connect(a, b);
    a.transport.send([msg({ from: 1, to: 2, index: 1 })]);
    await h.waiter.until(() => b.received.length === 1, "first message delivered");

    const port = b.port;
    await b.transport.close();
    await h.waiter.until(() => a.unreachable.includes(2), "a notices b is gone");
    expect(a.transport.stats().peers.get(2)?.state).not.toBe("active");

    b = await h.member(2, {}, port);
    b.transport.addPeer(1, a.url);
    await h.waiter.until(
      () => a.transport.stats().peers.get(2)?.state === "active",
      "stream to b re-established",
    );
    a.transport.send([msg({ from: 1, to: 2, index: 2 })]);
    await h.waiter.until(() => b.received.length === 1, "message delivered after the restart");
    expect(b.received[0]?.index).toBe(2);
  });

  it("drops and counts messages beyond a full queue, for that peer only", async () => {
    const a = await h.member(1, { maxQueuedMessagesPerPeer: 10 });
    const b = await h.member(2);
    const c = await h.member(3);
    h.connect(a, b, c);
    await h.waiter.until(
      () =>
        a.transport.stats().peers.get(2)?.state === "active" &&
        a.transport.stats().peers.get(3)?.state === "active",
      "streams active",
    );
    // One turn: the queue fills before the flush at the end of the turn.
    a.transport.send(range(100).map((i) => msg({ from: 1, to: 2, index: i })));
    a.transport.send(range(5).map((i) => msg({ from: 1, to: 3, index: i })));
    await h.waiter.until(
      () => b.received.length === 10 && c.received.length === 5,
      "queued messages delivered",
    );
    expect(indexes(b.received)).toEqual(range(10));
    expect(a.transport.stats().peers.get(2)).toMatchObject({ sent: 10, dropped: 90 });
    expect(a.transport.stats().peers.get(3)).toMatchObject({ sent: 5, dropped: 0 });
    expect(a.transport.stats()).toMatchObject({ sent: 15, dropped: 90 });
  });

  it("drops messages it cannot send, and never throws", async () => {
    const a = await h.member(1);
    const b = await h.member(2);
    h.connect(a, b);
    expect(() =>
      a.transport.send([
        msg({ from: 1, to: 9, index: 1 }), // not a peer
        msg({ type: "hup", from: 1, to: 2 }), // local only
        msg({ from: 1, to: 2, index: 2 ** 53 }), // unsafe integer
        msg({ from: 5, to: 2 }), // not from this member
        msg({ from: 1, to: 2, index: 42 }),
      ]),
    ).not.toThrow();
    await h.waiter.until(() => b.received.length === 1, "the good message delivered");
    expect(b.received[0]?.index).toBe(42);
    expect(a.transport.stats()).toMatchObject({ sent: 1, dropped: 4 });
  });

  it("splits large sends into batches of at most maxBatchBytes", async () => {
    const a = await h.member(1, { maxBatchBytes: 64 * 1024 });
    const b = await h.member(2);
    h.connect(a, b);
    const batches: number[] = [];
    const b2 = await h.member(3, {
      onMessages: (ms) => {
        batches.push(ms.length);
        b.received.push(...ms);
        h.waiter.notify();
      },
    });
    a.transport.addPeer(3, b2.url);
    b2.transport.addPeer(1, a.url);
    // 200 appends of 8 entries x 256 B: ~2 KiB each, ~400 KiB in all.
    a.transport.send(range(200).map((i) => append(1, 3, i * 8, 8, 256)));
    await h.waiter.until(() => b.received.length === 200, "all appends delivered");
    expect(batches.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...batches)).toBeLessThanOrEqual(32);
    expect(indexes(b.received)).toEqual(range(200).map((i) => i * 8));
  });
});
