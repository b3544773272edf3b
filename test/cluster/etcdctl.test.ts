// The real etcdctl (Debian `etcd-client`, v3 API) against a 3-node raftkv of real processes, every
// call given all three endpoints. Skipped, saying so, only when etcdctl is not installed (CI
// installs it).

import { execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProcCluster, waitFor } from "./harness.js";

function etcdctlVersion(): string | undefined {
  try {
    return execFileSync("etcdctl", ["version"], {
      env: { ...process.env, ETCDCTL_API: "3" },
      timeout: 10_000,
      encoding: "utf8",
    });
  } catch {
    return undefined;
  }
}

const version = etcdctlVersion();
if (version === undefined) {
  console.warn(
    "SKIPPED test/cluster/etcdctl.test.ts: etcdctl not found on PATH (apt-get install -y etcd-client)",
  );
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cluster: ProcCluster;

function etcdctl(args: readonly string[], input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "etcdctl",
      ["--endpoints", cluster.endpoints().join(","), "--command-timeout=10s", ...args],
      { env: { ...process.env, ETCDCTL_API: "3" }, timeout: 20_000 },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(args: readonly string[], input?: string): Promise<string> {
  const run = await etcdctl(args, input);
  expect(run.stderr, `etcdctl ${args.join(" ")}`).toBe("");
  expect(run.code, `etcdctl ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

interface JsonMember {
  ID: number;
  name: string;
  peerURLs: string[];
  clientURLs?: string[];
}

describe.skipIf(version === undefined)(
  `etcdctl (${version?.split("\n")[0] ?? "absent"}) against 3 nodes`,
  () => {
    beforeAll(async () => {
      cluster = await ProcCluster.start({ size: 3 });
    });
    afterAll(async () => {
      await cluster?.stop();
    });
    beforeEach((ctx) => {
      ctx.onTestFailed(() => console.log(cluster?.tails()));
    });

    it("put; get with --prefix, --limit, --keys-only; del", async () => {
      for (const [key, value] of [
        ["app/a", "1"],
        ["app/b", "2"],
        ["app/c", "3"],
        ["other", "4"],
      ] as const) {
        expect(await ok(["put", key, value])).toBe("OK\n");
      }
      expect(await ok(["get", "app/a"])).toBe("app/a\n1\n");
      expect(await ok(["get", "app/", "--prefix"])).toBe("app/a\n1\napp/b\n2\napp/c\n3\n");
      expect(await ok(["get", "app/", "--prefix", "--limit", "2"])).toBe("app/a\n1\napp/b\n2\n");
      expect(await ok(["get", "app/", "--prefix", "--keys-only"])).toBe("app/a\n\napp/b\n\napp/c\n\n");
      expect(await ok(["get", "app/", "--prefix", "--limit", "1", "-w", "fields"])).toContain('"Count" : 3');
      expect(await ok(["get", "app/b", "--consistency=s"])).toBe("app/b\n2\n");
      expect(await ok(["del", "app/a"])).toBe("1\n");
      expect(await ok(["del", "app/", "--prefix", "--prev-kv"])).toBe("2\napp/b\n2\napp/c\n3\n");
      expect(await ok(["get", "", "--from-key", "--keys-only"])).toBe("other\n\n");
    });

    it("txn from stdin: the success branch, then the failure branch", async () => {
      await ok(["put", "account", "100"]);
      const script = [
        'value("account") = "100"',
        "",
        'put account "90"',
        "get account",
        "",
        "get account",
        "",
        "",
      ];
      expect(await ok(["txn"], script.join("\n"))).toBe("SUCCESS\n\nOK\n\naccount\n90\n");
      expect(await ok(["txn"], script.join("\n"))).toBe("FAILURE\n\naccount\n90\n");
    });

    it("member list: every member with its name, peer URL and client URL", async () => {
      const expected = cluster.nodes.map(
        (n) => `started, ${n.name}, http://127.0.0.1:${n.peerPort}, http://127.0.0.1:${n.clientPort}, false`,
      );
      // Client URLs are published through Raft once the members run: poll with a deadline.
      const lines = await waitFor(
        "every member's client URL in member list",
        async () => {
          const got = (await ok(["member", "list"])).trim().split("\n");
          return expected.every((e) => got.some((l) => l.endsWith(e))) && got;
        },
        10_000,
        100,
      );
      expect(lines).toHaveLength(3);
      for (const e of expected)
        expect(
          lines.some((l) => l.endsWith(e)),
          `${e} in\n${lines.join("\n")}`,
        ).toBe(true);
      const json = JSON.parse(await ok(["member", "list", "-w", "json"])) as { members: JsonMember[] };
      expect(json.members.map((m) => m.name).sort()).toEqual(cluster.nodes.map((n) => n.name));
      for (const m of json.members) {
        const n = cluster.nodes.find((x) => x.name === m.name)!;
        expect(m.peerURLs).toEqual([`http://127.0.0.1:${n.peerPort}`]);
        expect(m.clientURLs).toEqual([`http://127.0.0.1:${n.clientPort}`]);
      }
    });

    it("endpoint status: one row per endpoint, one leader, the same term", async () => {
      const json = JSON.parse(await ok(["endpoint", "status", "-w", "json"])) as {
        Endpoint: string;
        Status: { header: { member_id: number }; leader: number; raftTerm: number; raftIndex: number };
      }[];
      expect(json.map((s) => s.Endpoint)).toEqual(cluster.endpoints());
      const leaders = new Set(json.map((s) => s.Status.leader));
      expect(leaders.size).toBe(1);
      const leader = [...leaders][0]!;
      expect(json.filter((s) => s.Status.header.member_id === leader)).toHaveLength(1);
      expect(new Set(json.map((s) => s.Status.raftTerm)).size).toBe(1);
      const table = await ok(["endpoint", "status", "-w", "table"]);
      for (const e of cluster.endpoints()) expect(table).toContain(e);
    });

    it("endpoint health: every member healthy (a linearizable get through each)", async () => {
      const run = await etcdctl(["endpoint", "health"]);
      expect(run.code, run.stderr).toBe(0);
      // etcdctl 3.4 prints the report on stderr, one line per endpoint, in completion order.
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(3);
      for (const e of cluster.endpoints()) {
        expect(lines.some((l) => l.startsWith(`${e} is healthy: successfully committed proposal`))).toBe(
          true,
        );
      }
    });
  },
);
