// Joining outside Kubernetes, the etcd way: `raftkv members add NAME --peer-url URL --learner`,
// then the new node starts with --initial-cluster-state existing and promotes itself once caught up.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { CLI, freePort, ProcCluster, waitFor } from "../cluster/harness.js";

function run(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (out += b.toString()));
    proc.on("exit", (code) => res({ code, out }));
  });
}

describe("joining with --initial-cluster-state existing", () => {
  let cluster: ProcCluster;
  let joiner: ChildProcess | null = null;
  let joinerOutput = "";

  beforeAll(async () => {
    cluster = await ProcCluster.start({ size: 3, token: "join-existing" });
  });

  afterAll(async () => {
    if (joiner !== null && joiner.exitCode === null) {
      const exited = new Promise((r) => joiner!.once("exit", r));
      joiner.kill("SIGKILL");
      await exited;
    }
    await cluster?.stop();
  });

  it("refuses to start a member the cluster does not list, naming the command to run", async () => {
    const peerPort = await freePort();
    const res = await run([
      "--name",
      "stranger",
      "--data-dir",
      join(cluster.root, "stranger"),
      "--listen-client",
      `127.0.0.1:${await freePort()}`,
      "--listen-peer",
      `127.0.0.1:${peerPort}`,
      "--listen-metrics",
      "",
      "--cluster-token",
      "join-existing",
      "--initial-cluster-state",
      "existing",
      "--join",
      cluster.endpoints().join(","),
    ]);
    expect(res.code).not.toBe(0);
    expect(res.out).toContain("raftkv members add");
  });

  it("adds a learner, starts it, and it promotes itself once caught up", async () => {
    const client = cluster.client();
    for (let i = 0; i < 50; i++) await client.put(`k${i}`, `v${i}`);
    const peerPort = await freePort();
    const clientPort = await freePort();
    const added = await run([
      "members",
      "add",
      "n4",
      "--peer-url",
      `http://127.0.0.1:${peerPort}`,
      "--learner",
      "--endpoints",
      cluster.endpoints().join(","),
    ]);
    expect(added.code, added.out).toBe(0);
    expect(added.out).toMatch(/^Member [0-9a-f]+ \(learner n4\) added to cluster [0-9a-f]+/);
    expect(added.out).toContain('RAFTKV_INITIAL_CLUSTER_STATE="existing"');
    const listed = (await client.memberList()).members.find((m) => m.name === "n4");
    expect(listed?.isLearner).toBe(true);

    joiner = spawn(
      process.execPath,
      [
        CLI,
        "--name",
        "n4",
        "--data-dir",
        join(cluster.root, "n4"),
        "--listen-client",
        `127.0.0.1:${clientPort}`,
        "--listen-peer",
        `127.0.0.1:${peerPort}`,
        "--listen-metrics",
        "",
        "--cluster-token",
        "join-existing",
        "--initial-cluster-state",
        "existing",
        "--join",
        cluster.endpoints().join(","),
        "--log-format",
        "json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    joiner.stdout!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
    joiner.stderr!.on("data", (b: Buffer) => (joinerOutput += b.toString()));

    await waitFor(
      "n4 to be promoted to a voting member",
      async () => {
        const m = (await client.memberList()).members.find((x) => x.name === "n4");
        return m !== undefined && !m.isLearner && Number(m.ID) === Number(listed!.ID);
      },
      30_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- n4:\n${joinerOutput.slice(-4000)}`);
    });
    const direct = new EtcdClient([`127.0.0.1:${clientPort}`]);
    try {
      expect((await direct.get("k49")).kvs[0]?.value.toString()).toBe("v49");
      expect(Number((await direct.status()).header?.memberId)).toBe(Number(listed!.ID));
    } finally {
      direct.close();
    }
  });
});
