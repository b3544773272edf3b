// Joining outside Kubernetes, the etcd way: `raftkv members add NAME --peer-url URL --learner`
// prints the command that starts the new member (--initial-cluster-state existing); it promotes
// itself once caught up. Until it starts it is listed unstarted. A removed member exits (code 5).

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
  let joinerArgs = "";

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

  it("adds a learner (listed unstarted), prints the command that starts it, which joins and promotes itself", async () => {
    const client = cluster.client();
    for (let i = 0; i < 50; i++) await client.put(`k${i}`, `v${i}`);
    const peerPort = await freePort();
    const clientPort = await freePort();
    const endpoints = cluster.endpoints().join(",");
    const added = await run([
      "members",
      "add",
      "n4",
      "--peer-url",
      `http://127.0.0.1:${peerPort}`,
      "--client-url",
      `127.0.0.1:${clientPort}`,
      "--cluster-token",
      "join-existing",
      "--learner",
      "--endpoints",
      endpoints,
    ]);
    expect(added.code, added.out).toBe(0);
    const header = /^Member ([0-9a-f]{16}) \(learner n4\) added to cluster ([0-9a-f]{16})/.exec(added.out);
    expect(header, added.out).not.toBeNull();
    const id = BigInt(`0x${header![1]}`);
    const command = added.out.split("\n").find((l) => l.startsWith("raftkv "));
    expect(command).toBe(
      `raftkv --name n4 --listen-peer 127.0.0.1:${peerPort} --listen-client 127.0.0.1:${clientPort} ` +
        `--initial-cluster-state existing --join ${endpoints} --cluster-token join-existing`,
    );

    // Added, not started: listed with no name, as etcd lists it.
    const listed = (await client.memberList()).members.find((m) => BigInt(m.ID) === id);
    expect(listed?.isLearner).toBe(true);
    expect(listed?.name).toBe("");
    const table = await run(["members", "--endpoints", endpoints]);
    expect(table.out).toMatch(
      new RegExp(`\\| ${header![1]} \\| unstarted \\| +\\| http://127\\.0\\.0\\.1:${peerPort} `),
    );

    joinerArgs = command!;
    // The printed command, run as printed (the data dir and metrics address come from the
    // environment; `raftkv` is this checkout's CLI).
    joiner = spawn("sh", ["-c", `exec ${command!.replace(/^raftkv /, `"${process.execPath}" "${CLI}" `)}`], {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        RAFTKV_DATA_DIR: join(cluster.root, "n4"),
        RAFTKV_LISTEN_METRICS: "",
        RAFTKV_LOG_FORMAT: "json",
      },
    });
    joiner.stdout!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
    joiner.stderr!.on("data", (b: Buffer) => (joinerOutput += b.toString()));

    await waitFor(
      "n4 to start, publish its name and be promoted to a voting member",
      async () => {
        const m = (await client.memberList()).members.find((x) => BigInt(x.ID) === id);
        return m !== undefined && !m.isLearner && m.name === "n4";
      },
      30_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- n4:\n${joinerOutput.slice(-4000)}`);
    });
    const direct = new EtcdClient([`127.0.0.1:${clientPort}`]);
    try {
      expect((await direct.get("k49")).kvs[0]?.value.toString()).toBe("v49");
      expect(BigInt((await direct.status()).header?.memberId ?? 0)).toBe(id);
    } finally {
      direct.close();
    }
  });

  it("the joined member restarts from its data dir alone (its random ID, addresses and peers are stored)", async () => {
    const before = joiner!;
    const clientPort = Number(/--listen-client 127\.0\.0\.1:(\d+)/.exec(joinerArgs)![1]);
    const direct = new EtcdClient([`127.0.0.1:${clientPort}`], { timeoutMs: 1000 });
    try {
      const id = BigInt((await direct.status()).header?.memberId ?? 0);
      const exited = new Promise<number | null>((r) => before.once("exit", (code) => r(code)));
      before.kill("SIGTERM");
      expect(await exited).toBe(0);
      joinerOutput = "";
      joiner = spawn(process.execPath, [CLI, "--data-dir", join(cluster.root, "n4")], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, RAFTKV_LISTEN_METRICS: "", RAFTKV_LOG_FORMAT: "json" },
      });
      joiner.stdout!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
      joiner.stderr!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
      await waitFor(
        "n4 to serve again on its client port, under its ID, with a leader",
        async () => {
          const st = await direct.status();
          return BigInt(st.header?.memberId ?? 0) === id && Number(st.leader) !== 0;
        },
        30_000,
        100,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n--- n4:\n${joinerOutput.slice(-4000)}`);
      });
      expect(joinerOutput).toContain('"node":"n4"');
      expect((await direct.get("k49", { serializable: true })).kvs[0]?.value.toString()).toBe("v49");
    } finally {
      direct.close();
    }
  });

  it("a removed member exits with etcd's message and code 5: a follower, then the leader", async () => {
    expect(joiner?.exitCode).toBeNull();
    const endpoints = cluster.endpoints().join(",");
    const joinerExit = new Promise<number | null>((r) => joiner!.once("exit", (code) => r(code)));
    const removed = await run(["members", "remove", "n4", "--endpoints", endpoints]);
    expect(removed.code, removed.out).toBe(0);
    expect(removed.out).toMatch(/^Member [0-9a-f]{16} removed from cluster [0-9a-f]{16}/);
    const code = await Promise.race([joinerExit, waitFor("n4 to exit", () => false, 20_000).then(() => -1)]);
    expect(code, joinerOutput.slice(-3000)).toBe(5);
    expect(joinerOutput).toContain("raftkv: the member has been permanently removed from the cluster");

    // The leader removing itself applies its own removal: it exits too, the others carry on.
    const leader = await cluster.waitForLeader();
    const again = await run(["members", "remove", leader.name, "--endpoints", endpoints]);
    expect(again.code, again.out).toBe(0);
    expect(await cluster.waitForExit(leader, 20_000)).toBe(5);
    expect(leader.output).toContain("the member has been permanently removed from the cluster");
    const rest = cluster.nodes.filter((n) => n !== leader);
    const c = cluster.client(rest);
    await waitFor(
      "the two left to serve writes",
      async () => (await c.put("after-removal", "ok")).header,
      20_000,
    );
    expect((await c.memberList()).members.map((m) => m.name).sort()).toEqual(rest.map((n) => n.name).sort());
  });
});
