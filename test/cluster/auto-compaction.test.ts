// --auto-compaction-mode periodic with a short retention on a 3-node raftkv: the leader proposes
// Compact through Raft, so every member refuses reads below the same revision, and keeps what is
// newer than the retention.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { FAST_RECONNECT, ProcCluster, waitFor } from "./harness.js";

let cluster: ProcCluster;

beforeAll(async () => {
  cluster = await ProcCluster.start({
    size: 3,
    extraArgs: ["--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1s"],
  });
});
afterAll(async () => {
  await cluster?.stop();
});
beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

describe("auto-compaction", () => {
  it("the leader compacts history older than the retention on every member", async () => {
    const client = cluster.client(cluster.nodes, 5000);
    const first = Number((await client.put("ac/k", "0")).header?.revision);
    let last = first;
    // Keep writing until a compaction passed the first write: reads at it then fail everywhere.
    await waitFor(
      "a compaction past the first write",
      async () => {
        last = Number((await client.put("ac/k", String(last))).header?.revision);
        const err = await client.get("ac/k", { revision: first }).catch((e: unknown) => e);
        return err instanceof Error && /required revision has been compacted/.test(err.message);
      },
      20_000,
      100,
    );
    const leader = await cluster.waitForLeader();
    expect(leader.output).toMatch(/"msg":"auto-compaction: compacting"/);
    for (const n of cluster.nodes) {
      const member = new EtcdClient([cluster.endpoint(n)], {
        timeoutMs: 3000,
        channelOptions: FAST_RECONNECT,
      });
      try {
        await waitFor(`${n.name} to apply the compaction`, async () => {
          const err = await member
            .get("ac/k", { revision: first, serializable: true })
            .catch((e: unknown) => e);
          return err instanceof Error && /compacted/.test(err.message);
        });
        // The latest revision stays readable (once the member has applied it).
        await waitFor(
          `${n.name} to read the last revision`,
          async () => (await member.get("ac/k", { revision: last, serializable: true })).kvs.length === 1,
        );
      } finally {
        member.close();
      }
    }
  });
});
