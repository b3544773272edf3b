// A follower that was down for 20,000+ writes is behind the leader's log start when it returns (at
// the default --snapshot-count 10000 and --snapshot-catchup-entries 5000 the leader compacts
// twice meanwhile), so it can only catch up by an InstallSnapshot. Its data must then equal the
// others'.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { EtcdClient } from "../../src/client/index.js";
import { ProcCluster, waitFor } from "./harness.js";

const WRITES = 21_000;
const CONCURRENCY = 128;

let cluster: ProcCluster;

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 3 });
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

/** `total` puts of `prefix/<i>`, `concurrency` at a time, through `client`. */
async function writeMany(
  client: EtcdClient,
  prefix: string,
  total: number,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await client.put(`${prefix}/${String(i).padStart(6, "0")}`, `value-${i}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe("snapshot catch-up", () => {
  it("a follower down for 20,000+ writes returns and catches up by snapshot", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const others = cluster.nodes.filter((n) => n !== follower);
    await cluster.client([leader]).put("snap/before", "x");
    const followerClient = cluster.client([follower], 2000);
    await waitFor("the follower to apply the first write", async () => {
      const got = await followerClient.get("snap/before", { serializable: true });
      return got.kvs.length === 1;
    });
    const behindAt = Number((await followerClient.status()).raftAppliedIndex);
    followerClient.close();
    await cluster.kill(follower, "SIGKILL");

    const started = Date.now();
    // Mostly through the leader (fast); some through the other follower (forwarded).
    const other = others.find((n) => n !== leader)!;
    await Promise.all([
      writeMany(cluster.client([leader], 20_000), "snap/0", WRITES - 1000, CONCURRENCY),
      writeMany(cluster.client([other], 20_000), "snap/1", 1000, 16),
    ]);
    const writeMs = Date.now() - started;
    const leaderStatus = await cluster.client([leader]).status();
    // The leader compacted its log past the follower's position: a log catch-up is impossible.
    const firstIndexes = [...leader.output.matchAll(/"firstIndex":(\d+),"msg":"snapshot taken"/g)].map((m) =>
      Number(m[1]),
    );
    expect(Math.max(0, ...firstIndexes)).toBeGreaterThan(behindAt + 1);

    const returnedAt = Date.now();
    cluster.spawn(follower);
    await cluster.waitForOutput(follower, /"msg":"installed snapshot"/, 30_000);
    const installedMs = Date.now() - returnedAt;
    expect(leader.output).toMatch(/"msg":"sending snapshot"/);

    // Same data: HashKV at the same revision on every member, and the same keys and values.
    const revision = Number((await cluster.client([leader]).get("snap/before")).header!.revision);
    const hashClients = cluster.nodes.map((n) => cluster.client([n], 2000));
    const hashes = await waitFor(
      "HashKV to agree on every member",
      async () => {
        const hs = await Promise.all(hashClients.map(async (c) => (await c.hashKV(revision)).hash));
        return new Set(hs).size === 1 ? hs : null;
      },
      20_000,
    );
    expect(hashes).toHaveLength(3);
    const caughtUpMs = Date.now() - returnedAt;
    const fromLeader = await cluster
      .client([leader], 20_000)
      .get("snap/", { prefix: true, serializable: true });
    const fromFollower = await cluster
      .client([follower], 20_000)
      .get("snap/", { prefix: true, serializable: true });
    expect(fromFollower.count).toBe(WRITES + 1);
    expect(fromFollower.kvs.length).toBe(fromLeader.kvs.length);
    for (let i = 0; i < fromLeader.kvs.length; i++) {
      const a = fromLeader.kvs[i]!;
      const b = fromFollower.kvs[i]!;
      if (!a.key.equals(b.key) || !a.value.equals(b.value) || a.modRevision !== b.modRevision) {
        expect.fail(`key ${i} differs: ${a.key} vs ${b.key}`);
      }
    }

    // And it takes part again: a write through it, read back linearizably through it.
    await cluster.client([follower]).put("snap/after", "y");
    expect((await cluster.client([follower]).get("snap/after")).kvs[0]?.value.toString()).toBe("y");
    console.log(
      `snapshot catch-up: follower at index ${behindAt} down for ${WRITES} writes (${writeMs} ms, ` +
        `leader at index ${leaderStatus.raftIndex}); snapshot installed ${installedMs} ms after restart, ` +
        `HashKV equal ${caughtUpMs} ms after restart`,
    );
  });
});
