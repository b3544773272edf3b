// raftkv run as the StatefulSet in k8s/ runs it: three pods configured only by the rendered
// manifest (plus each pod's own address, volume and DNS — see harness.ts) form one cluster; a
// rolling restart with SIGTERM loses no acknowledged write; scaling 3 → 4 → 3 works; a pod whose
// volume was lost rejoins as a new member; the membership API answers etcd's errors.

import { execFileSync } from "node:child_process";
import { Client, credentials, status as grpcStatus, Metadata } from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiServices } from "../../src/api/proto.js";
import type { EtcdClient, EtcdClientError } from "../../src/client/index.js";
import { waitFor } from "../cluster/harness.js";
import { type K8sObject, PodCluster, renderKustomize } from "./harness.js";

const rendered = renderKustomize();
const hasEtcdctl = (() => {
  try {
    execFileSync("etcdctl", ["version"], { stdio: "ignore", env: { ...process.env, ETCDCTL_API: "3" } });
    return true;
  } catch {
    return false;
  }
})();
const aliases = await PodCluster.loopbackAliases();
const skipReason =
  rendered === null
    ? "kubectl is not installed (the pods' configuration is rendered by kubectl kustomize)"
    : !aliases
      ? "this system cannot bind 127.x.y.z loopback addresses (Linux can)"
      : null;
if (skipReason !== null) console.warn(`skipping the StatefulSet cluster tests: ${skipReason}`);

async function rejection(p: Promise<unknown>): Promise<EtcdClientError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  return error as EtcdClientError;
}

/** One Cluster call to exactly this endpoint (no leader lookup); resolves with its status. */
function rawCall(
  endpoint: string,
  method: "MemberPromote" | "MemberRemove",
  request: object,
): Promise<{ code: number; details: string }> {
  const definition = apiServices().cluster[method];
  const client = new Client(endpoint, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + 5000 },
      (error) => {
        client.close();
        resolve({ code: error?.code ?? grpcStatus.OK, details: error?.details ?? "" });
      },
    );
  });
}

/** Puts `key=value` pairs until stopped; remembers the ones the cluster acknowledged. */
function startWriter(client: EtcdClient): { stop(): Promise<Map<string, string>>; acked(): number } {
  const acked = new Map<string, string>();
  let running = true;
  let seq = 0;
  const loop = (async () => {
    while (running) {
      const key = `rolling/${String(seq).padStart(6, "0")}`;
      const value = `v${seq}`;
      seq++;
      try {
        await client.put(key, value);
        acked.set(key, value);
      } catch {
        // Not acknowledged (leader moving, node stopping): it may or may not be applied.
        // Yield to the event loop: a call that fails at once (no connection, closed client) would
        // otherwise spin on microtasks and starve every timer, the test's timeout included.
        await new Promise((r) => setImmediate(r));
      }
    }
  })();
  return {
    acked: () => acked.size,
    async stop() {
      running = false;
      await loop;
      return acked;
    },
  };
}

describe.skipIf(skipReason !== null)("the StatefulSet, run as processes", () => {
  let pods: PodCluster;

  beforeAll(async () => {
    pods = await PodCluster.create(rendered as K8sObject[]);
  });

  afterAll(async () => {
    await pods?.cleanup();
  });

  afterEach((context) => {
    if (context.task.result?.state !== "fail") return;
    for (const pod of pods.pods.values()) {
      console.error(`---- ${pod.name} (last output)\n${pod.output.slice(-4000)}`);
    }
  });

  it("three pods configured only by the rendered manifest form one cluster", async () => {
    // podManagementPolicy: Parallel — all three start at once.
    for (const o of [0, 1, 2]) pods.start(o);
    await pods.waitForConvergence();
    const client = pods.client([0, 1, 2]);
    const { members } = await client.memberList();
    expect(members.map((m) => m.name).sort()).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
    expect(members.every((m) => !m.isLearner)).toBe(true);
    for (const m of members) {
      // Peers are found by their stable DNS names, never by an IP address.
      expect(m.peerURLs).toEqual([`http://${m.name}.raftkv.default.svc.cluster.local:2380`]);
    }
    const clusterIds = new Set<number>();
    for (const o of [0, 1, 2]) {
      const st = await pods.client([o]).status();
      clusterIds.add(Number(st.header?.clusterId));
    }
    expect(clusterIds.size).toBe(1);
    await client.put("hello", "world");
    expect((await pods.client([2]).get("hello")).kvs[0]?.value.toString()).toBe("world");
    // The probes of the manifest: /readyz once a leader is known, /livez always.
    for (const o of [0, 1, 2]) {
      expect((await fetch(pods.metricsURL(o, "/readyz"))).status).toBe(200);
      expect((await fetch(pods.metricsURL(o, "/livez"))).status).toBe(200);
    }
  });

  it("a rolling restart, one pod at a time with SIGTERM, loses no acknowledged write", async () => {
    const writer = startWriter(pods.client([0, 1, 2], 3000));
    await waitFor("some acknowledged writes", () => writer.acked() >= 20, 20_000);
    // The StatefulSet controller's order: highest ordinal first, each pod ready before the next.
    for (const o of [2, 1, 0]) {
      const before = writer.acked();
      expect(await pods.stop(o, "SIGTERM")).toBe(0);
      pods.start(o);
      await waitFor(
        `raftkv-${o} to be ready`,
        async () => (await fetch(pods.metricsURL(o, "/readyz"))).ok,
        30_000,
      );
      await pods.waitForConvergence();
      await waitFor("writes to go on", () => writer.acked() > before + 5, 20_000);
    }
    const acked = await writer.stop();
    expect(acked.size).toBeGreaterThan(30);
    const reader = pods.client([0, 1, 2]);
    const all = await reader.get("rolling/", { prefix: true });
    const stored = new Map(all.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
    const lost = [...acked].filter(([k, v]) => stored.get(k) !== v).map(([k]) => k);
    expect(lost).toEqual([]);
  });

  it("answers membership changes with etcd's errors", async () => {
    const client = pods.client([0, 1, 2]);
    const { members } = await client.memberList();
    const voter = Number(members[0]!.ID);
    const notLearner = await rejection(client.memberPromote(voter));
    expect(notLearner.code).toBe(grpcStatus.FAILED_PRECONDITION);
    expect(notLearner.details).toBe("etcdserver: can only promote a learner member");
    const badUrls = await rejection(client.memberAdd(["not a url"], { isLearner: true }));
    expect(badUrls.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(badUrls.details).toBe("etcdserver: given member URLs are invalid");
    const exists = await rejection(client.memberAdd([members[1]!.peerURLs[0]!], { isLearner: true }));
    expect(exists.details).toBe("etcdserver: Peer URLs already exists");
    const notFound = await rejection(client.memberRemove(12345));
    expect(notFound.code).toBe(grpcStatus.NOT_FOUND);

    // A learner that never started has replicated nothing: it cannot be promoted.
    const added = await client.memberAdd(["http://nowhere.invalid:2380"], { isLearner: true, name: "ghost" });
    const ghost = Number(added.member?.ID);
    expect(added.members.find((m) => Number(m.ID) === ghost)?.isLearner).toBe(true);
    const tooMany = await rejection(
      client.memberAdd(["http://nowhere-else.invalid:2380"], { isLearner: true }),
    );
    expect(tooMany.details).toBe("etcdserver: too many learner members in cluster");
    const notReady = await rejection(client.memberPromote(ghost));
    expect(notReady.code).toBe(grpcStatus.FAILED_PRECONDITION);
    expect(notReady.details).toBe(
      "etcdserver: can only promote a learner member which is in sync with leader",
    );

    // A follower refuses: membership changes are the leader's.
    const leader = await pods.waitForConvergence();
    const follower = members.find((m) => Number(m.ID) !== leader)!;
    const raw = await rawCall(pods.clientEndpoint(Number(follower.name.split("-")[1])), "MemberPromote", {
      ID: ghost,
    });
    expect(raw).toEqual({ code: grpcStatus.FAILED_PRECONDITION, details: "etcdserver: not leader" });

    const after = await client.memberRemove(ghost);
    expect(after.members.map((m) => m.name).sort()).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
  });

  it.skipIf(!hasEtcdctl)("etcdctl member add, promote and remove work against the leader", async () => {
    const endpoint = await pods.client([0, 1, 2]).leaderEndpoint();
    const etcdctl = (args: string[]): { ok: boolean; out: string } => {
      try {
        const out = execFileSync("etcdctl", ["--endpoints", endpoint, ...args], {
          env: { ...process.env, ETCDCTL_API: "3" },
          encoding: "utf8",
          stdio: "pipe",
        });
        return { ok: true, out };
      } catch (err) {
        return { ok: false, out: String((err as { stderr?: string }).stderr) };
      }
    };
    const added = etcdctl(["member", "add", "extra", "--peer-urls=http://extra.invalid:2380", "--learner"]);
    expect(added.ok, added.out).toBe(true);
    expect(added.out).toMatch(/Member +[0-9a-f]+ added to cluster/);
    expect(added.out).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    const list = JSON.parse(etcdctl(["member", "list", "-w", "json"]).out) as {
      members: { ID: number | string; peerURLs: string[]; isLearner?: boolean }[];
    };
    const extra = list.members.find((m) => m.peerURLs[0] === "http://extra.invalid:2380");
    expect(extra?.isLearner).toBe(true);
    const hexId = BigInt(extra!.ID).toString(16);
    const promote = etcdctl(["member", "promote", hexId]);
    expect(promote.ok).toBe(false);
    expect(promote.out).toContain("can only promote a learner member which is in sync with leader");
    const removed = etcdctl(["member", "remove", hexId]);
    expect(removed.ok, removed.out).toBe(true);
    expect((await pods.client([0, 1, 2]).memberList()).members).toHaveLength(3);
  });

  it("scales 3 → 4 → 3: raftkv-3 joins as a learner, promotes itself, and is removed before it goes", async () => {
    const client = pods.client([0, 1, 2]);
    await client.put("before-scale", "1");
    pods.start(3);
    const joined = await waitFor(
      "raftkv-3 to join and be promoted",
      async () => {
        const { members } = await client.memberList();
        const m = members.find((x) => x.name === "raftkv-3");
        return m !== undefined && !m.isLearner && members.length === 4 ? m : null;
      },
      45_000,
      100,
    );
    expect(joined.peerURLs).toEqual(["http://raftkv-3.raftkv.default.svc.cluster.local:2380"]);
    await pods.waitForConvergence();
    const four = pods.client([3]);
    expect((await four.get("before-scale")).kvs[0]?.value.toString()).toBe("1");
    await four.put("after-join", "2");
    expect((await client.get("after-join")).kvs[0]?.value.toString()).toBe("2");

    // Scale down: remove the member first (README), then the pod and its volume go. Make the
    // leaving member the leader first: it must commit its own removal, answer, and step down.
    const leaving = Number(joined.ID);
    const leader = await pods.waitForConvergence();
    if (leader !== leaving) await client.moveLeader(leaving, await client.leaderEndpoint());
    await waitFor("raftkv-3 to lead", async () => Number((await four.status()).leader) === leaving, 10_000);
    const removed = await pods.cli(["members", "remove", "raftkv-3"], [0, 1, 2]);
    expect(removed.out).toMatch(/^Member [0-9a-f]+ removed from cluster [0-9a-f]+/);
    expect(removed.code).toBe(0);
    // A removed member stops itself, as etcd's does (exit code 5); then its pod and volume go.
    await waitFor("raftkv-3 to stop itself", () => pods.pods.get(3)?.exitCode === 5, 20_000);
    expect(pods.pods.get(3)!.output).toContain("the member has been permanently removed from the cluster");
    expect(await pods.stop(3, "SIGTERM")).toBe(5);
    pods.deleteVolume(3);
    const { members } = await client.memberList();
    expect(members.map((m) => m.name).sort()).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
    await pods.waitForConvergence();
    await client.put("after-scale-down", "3");
    expect((await client.get("after-scale-down")).kvs[0]?.value.toString()).toBe("3");
  });

  it("scales 3 → 5 → 3: two new pods join one after the other (one learner at a time)", async () => {
    const client = pods.client([0, 1, 2]);
    pods.start(3);
    pods.start(4);
    await waitFor(
      "raftkv-3 and raftkv-4 to be voting members",
      async () => {
        const { members } = await client.memberList();
        return members.length === 5 && members.every((m) => !m.isLearner);
      },
      60_000,
      100,
    );
    await pods.waitForConvergence();
    await pods.client([4]).put("five", "5");
    for (const name of ["raftkv-4", "raftkv-3"]) {
      const removed = await pods.cli(["members", "remove", name], [0, 1, 2]);
      expect(removed.code, removed.out).toBe(0);
    }
    // Removed, they stop themselves (exit code 5), or a SIGTERM that came first stopped them.
    expect([0, 5]).toContain(await pods.stop(4, "SIGTERM"));
    expect([0, 5]).toContain(await pods.stop(3, "SIGTERM"));
    pods.deleteVolume(4);
    pods.deleteVolume(3);
    const { members } = await client.memberList();
    expect(members.map((m) => m.name).sort()).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
    expect((await client.get("five")).kvs[0]?.value.toString()).toBe("5");
  });

  it("a pod whose volume was lost rejoins as a new member", async () => {
    const client = pods.client([0, 1, 2]);
    const before = (await client.memberList()).members.find((m) => m.name === "raftkv-1")!;
    expect(await pods.stop(1, "SIGKILL")).toBe(null);
    pods.deleteVolume(1);
    pods.start(1);
    const after = await waitFor(
      "raftkv-1 to rejoin under a new ID and be promoted",
      async () => {
        const { members } = await client.memberList();
        const m = members.find((x) => x.name === "raftkv-1");
        return members.length === 3 && m !== undefined && !m.isLearner && Number(m.ID) !== Number(before.ID)
          ? m
          : null;
      },
      45_000,
      100,
    );
    expect(after.peerURLs).toEqual(before.peerURLs);
    await pods.waitForConvergence();
    // Its new store holds what was written before the loss.
    const rejoined = pods.client([1]);
    expect((await rejoined.get("hello", { serializable: true })).kvs[0]?.value.toString()).toBe("world");
  });
});
