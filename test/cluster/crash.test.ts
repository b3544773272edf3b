// Crashes and shutdowns under a write load, at default timings: kill -9 of the leader, SIGTERM of
// the leader, kill -9 of every node. Acknowledged writes must all survive; writes whose call failed
// or timed out are indeterminate.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { FAST_RECONNECT, ProcCluster, type ProcNode, waitFor } from "./harness.js";
import { expectAllAckedPresent, startWriteLoad, type WriteLoadResult } from "./load.js";

const WRITERS = 8;
/** Client deadline of one put. A put forwarded to a leader that just died waits this long. */
const CALL_TIMEOUT_MS = 1000;

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

/** Polls the live nodes other than `old` until they agree on a leader that is not `old`. */
async function newLeader(
  old: ProcNode,
  oldId: number,
  timeoutMs: number,
): Promise<{ node: ProcNode; at: number }> {
  const others = cluster.nodes.filter((n) => n !== old);
  const clients = others.map(
    (n) => new EtcdClient([cluster.endpoint(n)], { timeoutMs: 500, channelOptions: FAST_RECONNECT }),
  );
  try {
    return await waitFor(
      "a new leader",
      async () => {
        const statuses = await Promise.all(clients.map((c) => c.status()));
        const leaders = new Set(statuses.map((s) => Number(s.leader)));
        if (leaders.size !== 1 || leaders.has(0) || leaders.has(oldId)) return null;
        const i = statuses.findIndex((s) => Number(s.leader) === Number(s.header?.memberId));
        return i < 0 ? null : { node: others[i]!, at: Date.now() };
      },
      timeoutMs,
      20,
    );
  } finally {
    for (const c of clients) c.close();
  }
}

/** Restarts a stopped node and waits until it has applied everything the leader committed. */
async function restartAndCatchUp(n: ProcNode): Promise<void> {
  cluster.spawn(n);
  const leader = await cluster.waitForLeader();
  const target = Number((await cluster.client([leader]).status()).raftIndex);
  const c = cluster.client([n], 1000);
  await waitFor(`${n.name} to catch up`, async () => Number((await c.status()).raftAppliedIndex) >= target);
}

/** Every node reports the same HashKV at the leader's current revision (once caught up). */
async function expectSameHashKV(): Promise<void> {
  const leader = await cluster.waitForLeader();
  const revision = Number((await cluster.client([leader]).get("any", { countOnly: true })).header!.revision);
  const clients = cluster.nodes.map((n) => cluster.client([n], 2000));
  const hashes = await waitFor(`the same HashKV at revision ${revision} on every node`, async () => {
    const hs = await Promise.all(clients.map(async (c) => (await c.hashKV(revision)).hash));
    return new Set(hs).size === 1 ? hs : null;
  });
  expect(hashes).toHaveLength(3);
}

function summary(r: WriteLoadResult): string {
  return `${r.acked.size} acknowledged, ${r.indeterminate.size} indeterminate (${[...r.errors]
    .map(([m, c]) => `${c}× ${m}`)
    .join("; ")})`;
}

describe("crashes under a write load", () => {
  it("kill -9 of the leader: a new leader and successful writes within 3 s, nothing acknowledged lost", async () => {
    const old = await cluster.waitForLeader();
    const oldId = await cluster.memberId(old);
    // An empty value: a restarted node reads it back from LevelDB (HashKV must still agree).
    await cluster.client().put("kill-leader-empty", "");
    const load = startWriteLoad({
      endpoints: cluster.endpoints(),
      writers: WRITERS,
      prefix: "kill-leader",
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
    await load.acknowledged(300);
    const killedAt = Date.now();
    await cluster.kill(old, "SIGKILL");
    const [leader, firstAck] = await Promise.all([
      newLeader(old, oldId, 10_000),
      load.firstAckSentAfter(killedAt, 10_000),
    ]);
    await load.acknowledged(load.result.acked.size + 200);
    const result = await load.stop();
    const leaderGapMs = leader.at - killedAt;
    const writeGapMs = firstAck - killedAt;
    console.log(
      `kill -9 leader ${old.name}: new leader ${leader.node.name} after ${leaderGapMs} ms, ` +
        `first write acknowledged ${writeGapMs} ms after the kill; ${summary(result)}`,
    );
    expect(leaderGapMs).toBeLessThan(3000);
    expect(writeGapMs).toBeLessThan(3000);
    await expectAllAckedPresent(cluster.endpoints(), "kill-leader", result);

    // The old leader comes back, catches up, and serves every acknowledged write too.
    await restartAndCatchUp(old);
    await expectAllAckedPresent([cluster.endpoint(old)], "kill-leader", result);
    await expectSameHashKV();
  });

  it("SIGTERM of the leader: leadership is handed over before it exits, nothing acknowledged lost", async () => {
    const old = await cluster.waitForLeader();
    const oldId = await cluster.memberId(old);
    const load = startWriteLoad({
      endpoints: cluster.endpoints(),
      writers: WRITERS,
      prefix: "term-leader",
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
    await load.acknowledged(300);
    const termAt = Date.now();
    const exited = cluster.waitForExit(old, 15_000).then((code) => ({ code, at: Date.now() }));
    old.proc!.kill("SIGTERM");
    const leader = await newLeader(old, oldId, 10_000);
    const exit = await exited;
    const firstAck = await load.firstAckSentAfter(termAt, 10_000);
    await load.acknowledged(load.result.acked.size + 200);
    const result = await load.stop();
    console.log(
      `SIGTERM leader ${old.name}: exit ${exit.code} after ${exit.at - termAt} ms, new leader ` +
        `${leader.node.name} seen ${leader.at - termAt} ms after the signal, first write acknowledged ` +
        `${firstAck - termAt} ms after; ${summary(result)}`,
    );
    expect(exit.code).toBe(0);
    // Graceful and prompt: handed over, drained (nothing waits out its request timeout), closed.
    expect(exit.at - termAt).toBeLessThan(2000);
    expect(old.output).toMatch(/transferring leadership before shutdown/);
    // Handed over, not elected after a timeout: an election needs the election timeout (1 s) of
    // silence after the old leader's last heartbeat, so it would come well after the exit.
    expect(leader.at - exit.at).toBeLessThan(500);
    expect(leader.at - termAt).toBeLessThan(2000);
    expect(firstAck - termAt).toBeLessThan(3000);
    await expectAllAckedPresent(cluster.endpoints(), "term-leader", result);
    await restartAndCatchUp(old);
  });

  it("kill -9 of all three nodes, then a restart: every acknowledged write is there", async () => {
    await cluster.waitForLeader();
    const load = startWriteLoad({
      endpoints: cluster.endpoints(),
      writers: WRITERS,
      prefix: "kill-all",
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
    await load.acknowledged(500);
    await Promise.all(cluster.nodes.map((n) => cluster.kill(n, "SIGKILL")));
    const result = await load.stop();
    for (const n of cluster.nodes) cluster.spawn(n);
    await cluster.waitForLeader();
    const found = await expectAllAckedPresent(cluster.endpoints(), "kill-all", result);
    console.log(`kill -9 all: ${summary(result)}; ${found} keys present after restart`);
    await expectSameHashKV();
  });
});
