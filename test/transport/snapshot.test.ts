// InstallSnapshot: a big snapshot streams through with bounded memory; failures on either side
// end in false / a thrown iteration, never a hang.

import { createHash } from "node:crypto";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../src/raft/types.js";
import { TransportError } from "../../src/transport/index.js";
import { CLUSTER, Harness, msg } from "./helpers.js";

let h = new Harness();
afterEach(async () => {
  await h.closeAll();
  h = new Harness();
});

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function snapMessage(from: number, to: number, index = 1000): Message {
  return msg({
    type: "snap",
    from,
    to,
    term: 3,
    snapshot: {
      meta: { index, term: 3, confState: { voters: [1, 2, 3], learners: [4] } },
      data: new Uint8Array(0),
    },
  });
}

/** `total` bytes in pieces of `piece`, each generated when asked for (deterministic content). */
async function* lazyBytes(total: number, piece: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < total; offset += piece) {
    const buf = Buffer.allocUnsafe(Math.min(piece, total - offset));
    for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((offset + i) >>> 2, i);
    yield buf;
  }
}

/** Heap and Buffer memory still reachable: collected twice, a turn apart, so that freed
 *  ArrayBuffers are swept (they are released after the collection that finds them dead). */
async function liveBytes(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("InstallSnapshot", () => {
  it("streams 64 MiB with bounded memory, intact", async () => {
    const TOTAL = 64 * 1024 * 1024;
    let received: { msg: Message; bytes: number; digest: string } | null = null;
    let peakGrowth = 0;
    let baseline = 0;
    const a = await h.member(1);
    const b = await h.member(2, {
      onSnapshot: async (m, chunks) => {
        const hash = createHash("sha256");
        let bytes = 0;
        let sinceSample = 0;
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          sinceSample += chunk.length;
          if (sinceSample >= 4 * 1024 * 1024) {
            sinceSample = 0;
            peakGrowth = Math.max(peakGrowth, (await liveBytes()) - baseline);
          }
        }
        received = { msg: m, bytes, digest: hash.digest("hex") };
      },
    });
    h.connect(a, b);

    const expected = createHash("sha256");
    for await (const piece of lazyBytes(TOTAL, 1024 * 1024)) expected.update(piece);
    baseline = await liveBytes();
    const ok = await a.transport.sendSnapshot(snapMessage(1, 2), () => lazyBytes(TOTAL, 1024 * 1024));

    expect(ok).toBe(true);
    expect(received).not.toBeNull();
    const got = received!;
    expect(got.bytes).toBe(TOTAL);
    expect(got.digest).toBe(expected.digest("hex"));
    expect(got.msg).toMatchObject({ type: "snap", from: 1, to: 2, clusterId: CLUSTER, term: 3 });
    expect(got.msg.snapshot?.meta).toEqual({
      index: 1000,
      term: 3,
      confState: { voters: [1, 2, 3], learners: [4] },
    });
    expect(got.msg.snapshot?.data.length).toBe(0);
    // Sender window (1 MiB) + receiver read-ahead (16 chunks of 256 KiB) + a source piece
    // (1 MiB) + gRPC framing: about 5 MiB measured; far below the 64 MiB streamed.
    expect(peakGrowth).toBeLessThan(16 * 1024 * 1024);
    console.log(`snapshot 64 MiB: peak live memory growth ${(peakGrowth / 1048576).toFixed(1)} MiB`);
  });

  it("answers false when the receiver refuses the snapshot", async () => {
    const a = await h.member(1);
    const b = await h.member(2, {
      onSnapshot: async (_m, chunks) => {
        for await (const _ of chunks) throw new Error("disk full");
      },
    });
    h.connect(a, b);
    expect(await a.transport.sendSnapshot(snapMessage(1, 2), () => lazyBytes(1024 * 1024, 64 * 1024))).toBe(
      false,
    );
    expect(b.transport.stats().peers.get(1)?.rejected).toBe(1);
    expect(a.log.some((l) => l.level === "warn" && JSON.stringify(l.obj).includes("disk full"))).toBe(true);
  });

  it("tells the receiver when the sender's source fails mid-way", async () => {
    let receiverError: unknown = null;
    let firstChunkSeen!: () => void;
    const receiving = new Promise<void>((resolve) => {
      firstChunkSeen = resolve;
    });
    const a = await h.member(1);
    const b = await h.member(2, {
      onSnapshot: async (_m, chunks) => {
        try {
          for await (const _ of chunks) firstChunkSeen();
        } catch (err) {
          receiverError = err;
          h.waiter.notify();
          throw err;
        }
      },
    });
    h.connect(a, b);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(300 * 1024);
      await receiving; // fail once the receiver is consuming, not before the call is even open
      throw new Error("read error in the snapshot file");
    }
    expect(await a.transport.sendSnapshot(snapMessage(1, 2), failing)).toBe(false);
    await h.waiter.until(() => receiverError !== null, "the receiver's iteration fails");
    expect(receiverError).toBeInstanceOf(TransportError);
    expect((receiverError as TransportError).code).toBe("RAFTKV_SNAPSHOT_TRUNCATED");
  });

  it("refuses snapshots to unknown peers and from unknown members", async () => {
    const a = await h.member(1);
    const b = await h.member(2);
    a.transport.addPeer(2, b.url); // b does not know a
    expect(await a.transport.sendSnapshot(snapMessage(1, 7), () => lazyBytes(10, 10))).toBe(false);
    expect(await a.transport.sendSnapshot(snapMessage(1, 2), () => lazyBytes(1024, 512))).toBe(false);
    expect(b.transport.stats().rejected).toBeGreaterThanOrEqual(1);
    expect(b.log.find((l) => l.level === "warn")?.msg).toMatch(/unknown member 0000000000000001 rejected/);
    await expect(a.transport.sendSnapshot(msg({ from: 1, to: 2 }), () => lazyBytes(1, 1))).rejects.toThrow(
      TypeError,
    );
  });
});
