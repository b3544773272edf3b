// The real etcdctl (v3 API, as packaged: `apt-get install etcd-client`, 3.4) against the API over
// a real KvStateMachine. Skipped, saying so, only when etcdctl is not installed; CI installs it.

import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeError } from "../../src/api/errors.js";
import { type Served, StubBackend, serve } from "./helpers.js";
import { KvBackend } from "./kv-backend.js";

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
    "SKIPPED test/api/etcdctl.test.ts: etcdctl not found on PATH (apt-get install -y etcd-client)",
  );
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let backend: KvBackend;
let served: Served;

/** Runs etcdctl against the server, feeding `input` on stdin; killed after 20 s. */
function etcdctl(args: string[], input = "", endpoint = served.endpoint): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("etcdctl", ["--endpoints", endpoint, "--command-timeout=10s", ...args], {
      env: { ...process.env, ETCDCTL_API: "3" },
      timeout: 20_000,
    });
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

async function ok(args: string[], input?: string): Promise<string> {
  const run = await etcdctl(args, input);
  expect(run.stderr, `etcdctl ${args.join(" ")}`).toBe("");
  expect(run.code, `etcdctl ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

describe.skipIf(version === undefined)(`etcdctl (${version?.split("\n")[0] ?? "absent"})`, () => {
  beforeAll(async () => {
    backend = await KvBackend.open();
    served = await serve(backend);
  });
  afterAll(async () => {
    await served?.close();
    await backend?.close();
  });

  it("put and get", async () => {
    expect(await ok(["put", "greeting", "hello world"])).toBe("OK\n");
    expect(await ok(["get", "greeting"])).toBe("greeting\nhello world\n");
    expect(await ok(["get", "missing"])).toBe("");
    expect(await ok(["get", "greeting", "--consistency=s"])).toBe("greeting\nhello world\n");
  });

  it("get with --prefix, --limit, --keys-only, --print-value-only, -w json", async () => {
    for (const [key, value] of [
      ["app/a", "1"],
      ["app/b", "2"],
      ["app/c", "3"],
      ["other", "4"],
    ] as const) {
      await ok(["put", key, value]);
    }
    expect(await ok(["get", "app/", "--prefix"])).toBe("app/a\n1\napp/b\n2\napp/c\n3\n");
    expect(await ok(["get", "app/", "--prefix", "--limit", "2"])).toBe("app/a\n1\napp/b\n2\n");
    expect(await ok(["get", "app/", "--prefix", "--keys-only"])).toBe("app/a\n\napp/b\n\napp/c\n\n");
    expect(await ok(["get", "app/", "--prefix", "--print-value-only"])).toBe("1\n2\n3\n");
    expect(await ok(["get", "app/", "--prefix", "--limit", "1", "-w", "fields"])).toContain('"Count" : 3');
    expect(await ok(["get", "app/", "--prefix", "--sort-by=KEY", "--order=DESCEND", "--keys-only"])).toBe(
      "app/c\n\napp/b\n\napp/a\n\n",
    );
    const json = JSON.parse(await ok(["get", "app/a", "-w", "json"])) as {
      header: { cluster_id: number; member_id: number; revision: number; raft_term: number };
      kvs: { key: string; value: string; version: number }[];
      count: number;
    };
    expect(json.count).toBe(1);
    expect(Buffer.from(json.kvs[0]!.key, "base64").toString()).toBe("app/a");
    expect(Buffer.from(json.kvs[0]!.value, "base64").toString()).toBe("1");
    expect(json.header.raft_term).toBe(2);
    expect(json.header.revision).toBe(backend.kv.revision);
  });

  it("get --rev reads a past revision", async () => {
    await ok(["put", "versioned", "old"]);
    const revision = backend.kv.revision;
    await ok(["put", "versioned", "new"]);
    expect(await ok(["get", "versioned", "--rev", String(revision), "--print-value-only"])).toBe("old\n");
  });

  it("del, single and --prefix", async () => {
    await ok(["put", "tmp/1", "x"]);
    await ok(["put", "tmp/2", "y"]);
    await ok(["put", "lone", "z"]);
    expect(await ok(["del", "lone"])).toBe("1\n");
    expect(await ok(["del", "tmp/", "--prefix", "--prev-kv"])).toBe("2\ntmp/1\nx\ntmp/2\ny\n");
    expect(await ok(["del", "nothing-here"])).toBe("0\n");
    expect(await ok(["get", "tmp/", "--prefix"])).toBe("");
  });

  it("txn fed on stdin: success branch, then failure branch", async () => {
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
    ].join("\n");
    expect(await ok(["txn"], script)).toBe("SUCCESS\n\nOK\n\naccount\n90\n");
    // The compare fails now: the failure branch runs.
    expect(await ok(["txn"], script)).toBe("FAILURE\n\naccount\n90\n");
    const versions = ['version("account") > "1"', 'mod("account") > "0"', "", "del account", "", "", ""].join(
      "\n",
    );
    expect(await ok(["txn"], versions)).toBe("SUCCESS\n\n1\n");
  });

  it("errors carry etcd's messages", async () => {
    const empty = await etcdctl(["put", "", "v"]);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain("etcdserver: key is not provided");
    // The value comes on stdin (too long for an argument).
    const big = await etcdctl(["put", "big"], "x".repeat(1_600_000));
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain("etcdserver: request is too large");
  });

  it("member list", async () => {
    const line = `${backend.memberId.toString(16)}, started, node-0, http://127.0.0.1:2380, http://127.0.0.1:2379, false\n`;
    expect(await ok(["member", "list"])).toBe(line);
    const table = await ok(["member", "list", "-w", "table"]);
    expect(table).toContain("node-0");
  });

  it("endpoint status", async () => {
    const out = await ok(["endpoint", "status"]);
    const fields = out.trim().split(", ");
    expect(fields[0]).toBe(served.endpoint);
    expect(fields[1]).toBe(backend.memberId.toString(16));
    expect(fields[2]).toBe("3.4.0");
    expect(fields[4]).toBe("true"); // is leader
    expect(fields[5]).toBe("false"); // is learner
    expect(fields[6]).toBe("2"); // raft term
    const json = JSON.parse(await ok(["endpoint", "status", "-w", "json"])) as {
      Endpoint: string;
      Status: { leader: number; raftAppliedIndex: number };
    }[];
    expect(json[0]?.Status.leader).toBe(backend.memberId);
    expect(json[0]?.Status.raftAppliedIndex).toBe(backend.kv.appliedIndex);
  });

  it("endpoint health (a linearizable get of key 'health')", async () => {
    // etcdctl 3.4 prints the health report on stderr.
    const run = await etcdctl(["endpoint", "health"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`^${served.endpoint} is healthy: successfully committed proposal: took = `),
    );
  });

  it("endpoint health reports a member without a leader unhealthy", async () => {
    const leaderless = new StubBackend();
    leaderless.isReady = false;
    leaderless.onBarrier = () => Promise.reject(new NodeError("RAFTKV_NO_LEADER"));
    const sick = await serve(leaderless);
    try {
      const run = await etcdctl(["endpoint", "health", "--command-timeout=1s"], "", sick.endpoint);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`${sick.endpoint} is unhealthy`);
    } finally {
      await sick.close();
    }
  });

  it("snapshot save downloads the member's snapshot stream", async () => {
    const dir = await mkdtemp(join(tmpdir(), "raftkv-snap-"));
    try {
      const run = await etcdctl(["snapshot", "save", join(dir, "snap.db")]);
      expect(run.code, run.stderr).toBe(0);
      expect((await stat(join(dir, "snap.db"))).size).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("move-leader (to itself, a single member) and fail-fast UNIMPLEMENTED for lease and watch", async () => {
    const id = backend.memberId.toString(16);
    expect(await ok(["move-leader", id])).toBe(`Leadership transferred from ${id} to ${id}\n`);
    const lease = await etcdctl(["lease", "grant", "10"]);
    expect(lease.code).not.toBe(0);
    expect(lease.stderr).toContain("raftkv: Lease.LeaseGrant is not implemented yet");
    const watch = await etcdctl(["watch", "foo"]);
    expect(watch.code).not.toBe(0);
    expect(watch.stdout + watch.stderr).toContain("raftkv: Watch.Watch is not implemented yet");
  });

  it("endpoint hashkv, compaction, alarm list, defrag", async () => {
    const hash = await ok(["endpoint", "hashkv"]);
    expect(hash.trim()).toBe(`${served.endpoint}, ${await backend.kv.hashKV()}`);
    const revision = backend.kv.revision;
    expect(await ok(["compaction", String(revision - 1)])).toBe(`compacted revision ${revision - 1}\n`);
    expect(await ok(["alarm", "list"])).toBe("");
    expect(await ok(["defrag"])).toBe(`Finished defragmenting etcd member[${served.endpoint}]\n`);
  });
});
