// Side-by-side benchmark: a local 3-node raftkv and a local 3-node etcd (Debian's etcd-server,
// `/usr/bin/etcd`), same machine, same load generator, one run. Loopback only; every process is
// stopped at the end.
//
//   npm run build && node dist/bench/compare.js [--runs 3] [--seconds 5] [--json]
//
// Matrix (issue 3): put with 1, 16, 64, 256 clients (8-byte keys, 256-byte values); range
// linearizable and serializable with 64 clients. Reports the median of the runs (by throughput)
// with its p50 / p99, and each node's RSS after the load.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EtcdClient } from "../src/client/index.js";
import { type BenchOptions, type BenchResult, bench } from "./load.js";

const CLI = resolve(import.meta.dirname, "../src/cli/main.js");

interface Cluster {
  name: string;
  endpoints: string[];
  procs: ChildProcess[];
}

const CASES: { label: string; op: BenchOptions["op"]; clients: number; consistency: "l" | "s" }[] = [
  { label: "put c=1", op: "put", clients: 1, consistency: "l" },
  { label: "put c=16", op: "put", clients: 16, consistency: "l" },
  { label: "put c=64", op: "put", clients: 64, consistency: "l" },
  { label: "put c=256", op: "put", clients: 256, consistency: "l" },
  { label: "range-l c=64", op: "range", clients: 64, consistency: "l" },
  { label: "range-s c=64", op: "range", clients: 64, consistency: "s" },
];

function startRaftkv(root: string, base: number): Cluster {
  const names = ["r1", "r2", "r3"];
  const peers = names.map((n, i) => `${n}=127.0.0.1:${base + i * 10 + 1}`).join(",");
  const procs = names.map((n, i) =>
    spawn(
      process.execPath,
      [
        CLI,
        "--name",
        n,
        "--data-dir",
        join(root, n),
        "--listen-client",
        `127.0.0.1:${base + i * 10}`,
        "--listen-peer",
        `127.0.0.1:${base + i * 10 + 1}`,
        "--listen-metrics",
        `127.0.0.1:${base + i * 10 + 2}`,
        "--peers",
        peers,
        "--log-level",
        "warn",
      ],
      { stdio: "ignore" },
    ),
  );
  return { name: "raftkv", endpoints: names.map((_, i) => `127.0.0.1:${base + i * 10}`), procs };
}

function startEtcd(root: string, base: number): Cluster {
  const names = ["e1", "e2", "e3"];
  const initial = names.map((n, i) => `${n}=http://127.0.0.1:${base + i * 10 + 1}`).join(",");
  const procs = names.map((n, i) =>
    spawn(
      "etcd",
      [
        "--name",
        n,
        "--data-dir",
        join(root, n),
        "--listen-client-urls",
        `http://127.0.0.1:${base + i * 10}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${base + i * 10}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${base + i * 10 + 1}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${base + i * 10 + 1}`,
        "--initial-cluster",
        initial,
        "--initial-cluster-token",
        "bench",
        "--log-level",
        "warn",
      ],
      { stdio: "ignore" },
    ),
  );
  return { name: "etcd 3.4", endpoints: names.map((_, i) => `127.0.0.1:${base + i * 10}`), procs };
}

async function waitHealthy(c: Cluster, timeoutMs = 20_000): Promise<void> {
  const client = new EtcdClient(c.endpoints, { timeoutMs: 1000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.put("bench-ready", "1");
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`${c.name} did not become ready: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}

function rssMiB(p: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${p.pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

async function stop(c: Cluster): Promise<void> {
  await Promise.all(
    c.procs.map(
      (p) =>
        new Promise<void>((r) => {
          if (p.exitCode !== null) return r();
          p.once("exit", () => r());
          p.kill("SIGTERM");
          setTimeout(() => p.kill("SIGKILL"), 5000).unref();
        }),
    ),
  );
}

function median(results: BenchResult[]): BenchResult {
  const sorted = [...results].sort((a, b) => a.throughput - b.throughput);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(c: Cluster, runs: number, seconds: number): Promise<Record<string, BenchResult>> {
  const out: Record<string, BenchResult> = {};
  for (const k of CASES) {
    const results: BenchResult[] = [];
    for (let r = 0; r < runs; r++) {
      results.push(
        await bench({
          endpoints: c.endpoints,
          op: k.op,
          clients: k.clients,
          conns: Math.min(k.clients, 16),
          total: Number.MAX_SAFE_INTEGER,
          durationS: seconds,
          keySize: 8,
          valSize: 256,
          keySpace: 10_000,
          consistency: k.consistency,
        }),
      );
    }
    out[k.label] = median(results);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "5" },
      json: { type: "boolean" },
    },
  });
  const runs = Number(values.runs);
  const seconds = Number(values.seconds);
  const root = mkdtempSync(join(tmpdir(), "raftkv-compare-"));
  const report: Record<string, { results: Record<string, BenchResult>; rssMiB: number[] }> = {};
  try {
    for (const start of [startRaftkv, startEtcd]) {
      const c = start(root, start === startRaftkv ? 22379 : 32379);
      try {
        await waitHealthy(c);
        const results = await measure(c, runs, seconds);
        report[c.name] = { results, rssMiB: c.procs.map(rssMiB) };
      } finally {
        await stop(c);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const systems = Object.keys(report);
  process.stdout.write(`median of ${runs} runs of ${seconds}s each; 8-byte keys, 256-byte values\n`);
  process.stdout.write(`| case | ${systems.map((s) => `${s} req/s | p50 ms | p99 ms`).join(" | ")} |\n`);
  process.stdout.write(`|---|${systems.map(() => "---|---|---").join("|")}|\n`);
  for (const k of CASES) {
    const cells = systems.map((s) => {
      const r = report[s]!.results[k.label]!;
      return `${r.throughput} | ${r.latencyMs.p50} | ${r.latencyMs.p99}`;
    });
    process.stdout.write(`| ${k.label} | ${cells.join(" | ")} |\n`);
  }
  for (const s of systems)
    process.stdout.write(`RSS per node after load, ${s}: ${report[s]!.rssMiB.join(", ")} MiB\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`compare: ${(err as Error).stack}\n`);
  process.exit(1);
});
