// A follower installs a snapshot whose state sits exactly at the snapshot's index (the leader
// took it at its last applied entry and nothing was written since), while its own next local
// snapshot is due. Found by the fault harness (seed 35, 5 nodes): the follower then "took" a
// snapshot at that same index, the log store refused to record it again ("snapshot is out of
// date") and the member stopped on a fatal error.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProcCluster, waitFor } from "./harness.js";

const EVERY = 50;
let cluster: ProcCluster;

beforeAll(async () => {
  cluster = await ProcCluster.start({
    size: 3,
    extraArgs: ["--snapshot-count", String(EVERY), "--snapshot-catchup-entries", "5"],
  });
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

describe("snapshot install at the applied index", () => {
  it("a follower installs it and keeps serving", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await cluster.kill(follower, "SIGKILL");

    // Write one at a time until the leader's latest snapshot is at its applied index, past a
    // few snapshot intervals (so its log no longer reaches back to the follower).
    const client = cluster.client([leader]);
    let snapshotAt = 0;
    const lastTaken = (): number =>
      Number(
        [...leader.output.matchAll(/"index":(\d+),"firstIndex":\d+,"msg":"snapshot taken"/g)].at(-1)?.[1] ??
          0,
      );
    for (let i = 0; i < 2_000 && snapshotAt === 0; i++) {
      await client.put(`b/${i}`, `v${i}`);
      const applied = Number((await client.status()).raftAppliedIndex);
      // A snapshot is due at exactly this index: with no other writer, nothing is applied after it.
      if (i < 3 * EVERY || applied - lastTaken() < EVERY) continue;
      await waitFor(`the leader's snapshot at ${applied}`, async () => lastTaken() >= applied);
      expect(lastTaken()).toBe(applied);
      snapshotAt = applied;
    }
    expect(snapshotAt).toBeGreaterThan(0);

    cluster.spawn(follower);
    const installed = await cluster.waitForOutput(
      follower,
      /"index":(\d+),"applied":(\d+),"msg":"installed snapshot"/,
      30_000,
    );
    expect(Number(installed[1])).toBe(Number(installed[2]));

    // Still a working member: it applies a new write and answers a linearizable read of it.
    await client.put("b/after", "x");
    const followerClient = cluster.client([follower], 5_000);
    await waitFor("the follower to serve the new write", async () => {
      const got = await followerClient.get("b/after").catch(() => null);
      return got?.kvs[0]?.value.toString() === "x";
    });
    expect(follower.exitCode).toBeNull();
    expect(follower.output).not.toMatch(/fatal/);
  });
});
