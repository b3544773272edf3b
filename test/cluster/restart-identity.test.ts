// Restarts and identity (issue 11): a member restarts from its data dir alone; flags that
// contradict the data dir are refused naming both values and the fix; a contradictory --peers is
// refused at start; and member IDs are written one way (16 hex digits) in the CLI, JSON, logs and
// /metrics.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLI, freePort, ProcCluster, type ProcNode, waitFor } from "./harness.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function raftkv(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 20_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const hex16 = (id: number): string => id.toString(16).padStart(16, "0");

let cluster: ProcCluster;
let victim: ProcNode;

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 3, token: "restart-test" });
  const leader = await cluster.waitForLeader();
  victim = cluster.nodes.find((n) => n !== leader)!;
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

async function stopVictim(): Promise<void> {
  if (victim.proc === null) return;
  await cluster.kill(victim, "SIGTERM");
  expect(victim.exitCode).toBe(0);
}

/** The victim started with `--data-dir` and nothing else (metrics port and log format by env). */
function startFromDataDirAlone(extra: readonly string[] = []): void {
  cluster.spawnWith(victim, [CLI, "--data-dir", victim.dataDir, ...extra], {
    RAFTKV_LISTEN_METRICS: `127.0.0.1:${victim.metricsPort}`,
    RAFTKV_LOG_FORMAT: "json",
  });
}

describe("a member restarts from its data dir alone", () => {
  it("`raftkv --data-dir DIR` brings it back with its name, ID, addresses, peers and data", async () => {
    const c = cluster.client();
    await c.put("restart/before", "1");
    const id = await cluster.memberId(victim);
    await stopVictim();
    await c.put("restart/while-down", "2");

    const before = victim.output.length;
    startFromDataDirAlone();
    await cluster.waitForOutput(victim, /restarting from the data dir/, 15_000);
    await cluster.waitForLeader(30_000);
    // The same member, on the client port it had (taken from the data dir, not a default).
    expect(await cluster.memberId(victim)).toBe(id);
    const direct = cluster.client([victim]);
    await waitFor(
      "the restarted member to catch up",
      async () =>
        (await direct.get("restart/while-down", { serializable: true })).kvs[0]?.value.toString() === "2",
      15_000,
    );
    const log = victim.output.slice(before);
    expect(log).toContain(`"node":"${victim.name}"`);
    const members = (await c.memberList()).members;
    expect(members.find((m) => Number(m.ID) === id)?.name).toBe(victim.name);
  });

  it("flags that contradict the data dir: exit code 3, naming both values and the fix", async () => {
    await stopVictim();
    const wrongPort = await freePort();
    const cases: [string[], string[]][] = [
      [
        ["--name", "someone-else"],
        [`belongs to member name "${victim.name}", not "someone-else"`, `--name ${victim.name}`],
      ],
      [
        ["--cluster-token", "another-token"],
        [
          '--cluster-token "another-token"',
          'created with --cluster-token "restart-test"',
          "drop --cluster-token",
        ],
      ],
      [
        ["--peers", `${victim.name}=127.0.0.1:${wrongPort}`],
        [
          `--peers lists member "${victim.name}" at 127.0.0.1:${wrongPort}`,
          `records it at 127.0.0.1:${victim.peerPort}`,
          `drop --peers or give ${victim.name}=127.0.0.1:${victim.peerPort}`,
        ],
      ],
      [
        ["--advertise-peer", `127.0.0.1:${wrongPort}`],
        [
          `--advertise-peer 127.0.0.1:${wrongPort} contradicts data dir`,
          `give --advertise-peer 127.0.0.1:${victim.peerPort}`,
        ],
      ],
    ];
    for (const [flags, expected] of cases) {
      const before = victim.output.length;
      startFromDataDirAlone(flags);
      const code = await cluster.waitForExit(victim, 15_000);
      const output = victim.output.slice(before);
      expect(code, `${flags.join(" ")}: ${output}`).toBe(3);
      for (const text of expected) expect(output, flags.join(" ")).toContain(text);
    }
    // The full original command line agrees with the data dir: it starts.
    cluster.spawn(victim);
    await cluster.waitForLeader(30_000);
  });

  it("member IDs are written one way: 16 hex digits in the CLI, JSON, logs and /metrics", async () => {
    const endpoints = cluster.endpoints().join(",");
    const json = await raftkv(["members", "-w", "json", "--endpoints", endpoints]);
    expect(json.code, json.stderr).toBe(0);
    const ids = (JSON.parse(json.stdout) as { members: { ID: string | number; name: string }[] }).members;
    expect(ids).toHaveLength(3);
    const table = await raftkv(["members", "--endpoints", endpoints]);
    const status = await raftkv(["status", "--endpoints", endpoints]);
    for (const m of ids) {
      const id = Number(m.ID);
      const node = cluster.nodes.find((n) => n.name === m.name)!;
      expect(table.stdout).toContain(`| ${hex16(id)} | started | ${m.name} `);
      expect(status.stdout).toContain(`| ${hex16(id)} |`);
      // Its own logs name it so; /metrics labels it so.
      expect(node.output).toContain(`"member":"${hex16(id)}"`);
      const metrics = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).text();
      expect(metrics).toContain(`member_id="${hex16(id)}"`);
      // No other spelling anywhere in any member's output: not 0x…, not unpadded, not decimal.
      for (const n of cluster.nodes) {
        expect(n.output).not.toContain(`0x${id.toString(16)}`);
        expect(n.output).not.toMatch(new RegExp(`[^0-9a-f]${id.toString(16)}[^0-9a-f]`));
        expect(n.output).not.toContain(String(id));
      }
    }
  });
});

describe("a contradictory peer list is refused at start (exit code 2, no waiting for a leader)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("two members with one peer URL, one name twice, or its own entry not what it advertises", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raftkv-peers-"));
    dirs.push(dir);
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const base = ["--name", "a", "--data-dir", join(dir, "a"), "--listen-metrics", ""];
    const cases: [string[], string][] = [
      [
        [
          "--listen-peer",
          `127.0.0.1:${p1}`,
          "--peers",
          `a=127.0.0.1:${p1},b=127.0.0.1:${p2},c=127.0.0.1:${p2}`,
        ],
        `--peers: members "b" and "c" have the same peer URL 127.0.0.1:${p2}`,
      ],
      [
        [
          "--listen-peer",
          `127.0.0.1:${p1}`,
          "--peers",
          `a=127.0.0.1:${p1},b=127.0.0.1:${p2},b=127.0.0.1:${p3}`,
        ],
        '--peers: member "b" is listed twice',
      ],
      [
        ["--listen-peer", `127.0.0.1:${p3}`, "--peers", `a=127.0.0.1:${p1},b=127.0.0.1:${p2}`],
        `--peers lists this member "a" at 127.0.0.1:${p1}, but it advertises 127.0.0.1:${p3}`,
      ],
      [
        [
          "--listen-peer",
          `127.0.0.1:${p1}`,
          "--advertise-peer",
          `127.0.0.1:${p3}`,
          "--peers",
          `a=127.0.0.1:${p1},b=127.0.0.1:${p2}`,
        ],
        `--advertise-peer 127.0.0.1:${p1}`,
      ],
    ];
    for (const [flags, message] of cases) {
      const run = await raftkv([...base, ...flags]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });
});
