// Side-by-side benchmark: a local 3-member raftkv and a local 3-member etcd (Debian's etcd-server,
// `/usr/bin/etcd`), same machine, same load generator, one run. Loopback only; every process is
// stopped at the end.
//
//   npm run build && node dist/bench/compare.js [--runs 3] [--tool etcd|node] [--scale 1]
//                                               [--cases put1,put64,...] [--chart docs/x.svg]
//                                               [--profile DIR] [--only raftkv] [--json]
//
// The load generator is etcd's own (tools/benchmark of etcd 3.4, Go): it costs far less CPU per
// request than a Node client, so on a 2-core machine it does not saturate before the servers do.
// It is looked for in $ETCD_BENCHMARK, then ../shared/tools/etcd-benchmark beside the checkout.
// `--tool node` uses raftkv's own Node load generator (bench/load.ts) instead.
//
// Both clusters run at once; each case alternates between them run by run, so both see the same
// machine. Puts go to the leader (`--target-leader`), reads to all members. Reports the median of
// the runs (by throughput) with its p50 / p99, the ratio raftkv / etcd, and each member's RSS after
// the loads. Writes an SVG chart of put throughput against clients.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Cluster, procsOf, startEtcd, startRaftkv } from "./clusters.js";
import {
  type BenchCase,
  findEtcdBenchmark,
  median,
  type Result,
  runEtcdBenchmark,
} from "./etcd-benchmark.js";
import { bench } from "./load.js";
import { cpuUs, memoryOf, stopProcess, waitWritable } from "./procs.js";
import { chartsSvg } from "./svg.js";

type Case = BenchCase;

const CASES: Case[] = [
  { label: "put1", op: "put", clients: 1, conns: 1, consistency: "l", total: 3000 },
  { label: "put16", op: "put", clients: 16, conns: 16, consistency: "l", total: 16000 },
  { label: "put64", op: "put", clients: 64, conns: 64, consistency: "l", total: 30000 },
  { label: "put256", op: "put", clients: 256, conns: 64, consistency: "l", total: 40000 },
  { label: "range-l64", op: "range", clients: 64, conns: 64, consistency: "l", total: 40000 },
  { label: "range-s64", op: "range", clients: 64, conns: 64, consistency: "s", total: 40000 },
];

async function runNodeLoad(c: Cluster, k: Case, total: number): Promise<Result> {
  const r = await bench({
    endpoints: c.endpoints,
    op: k.op,
    clients: k.clients,
    conns: Math.min(k.conns, 16),
    total,
    durationS: null,
    keySize: 8,
    valSize: 256,
    keySpace: 100_000,
    consistency: k.consistency,
  });
  return { throughput: r.throughput, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, errors: r.errors };
}

/** An SVG line chart of put throughput against clients, one line per system. */
function chartSvg(report: Report, cases: Case[]): string {
  const puts = cases.filter((k) => k.op === "put");
  return chartsSvg([
    {
      title: "put throughput (req/s), 3 members, etcd-benchmark",
      xLabels: puts.map((k) => String(k.clients)),
      xTitle: "clients",
      series: Object.entries(report.results).map(([name, r]) => ({
        name,
        values: puts.map((k) => r[k.label]?.throughput ?? 0),
      })),
    },
  ]);
}

interface Report {
  results: Record<string, Record<string, Result>>;
  /** CPU time of the three members per request (user + system, µs), median run's case, per system. */
  cpuUsPerRequest: Record<string, Record<string, number>>;
  rssMiB: Record<string, number[]>;
  runs: number;
  tool: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      scale: { type: "string", default: "1" },
      tool: { type: "string", default: "etcd" },
      cases: { type: "string" },
      chart: { type: "string" },
      profile: { type: "string" },
      only: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const runs = Number(values.runs);
  const scale = Number(values.scale);
  const cases =
    values.cases === undefined ? CASES : CASES.filter((k) => values.cases!.split(",").includes(k.label));
  let tool = "node (bench/load.ts)";
  let etcdBenchmark: string | null = null;
  if (values.tool === "etcd") {
    etcdBenchmark = findEtcdBenchmark();
    if (etcdBenchmark === null)
      throw new Error("etcd-benchmark not found: set ETCD_BENCHMARK or use --tool node");
    tool = etcdBenchmark;
  }
  const root = mkdtempSync(join(tmpdir(), "raftkv-compare-"));
  const profileDir = values.profile === undefined ? null : resolve(values.profile);
  const clusters: Cluster[] = [];
  const report: Report = { results: {}, cpuUsPerRequest: {}, rssMiB: {}, runs, tool };
  try {
    clusters.push(startRaftkv(root, 22379, { profileDir }));
    if (values.only !== "raftkv") clusters.push(startEtcd(root, 32379));
    await Promise.all(clusters.map((c) => waitWritable(c.endpoints)));
    for (const c of clusters) {
      report.results[c.name] = {};
      report.cpuUsPerRequest[c.name] = {};
    }
    for (const k of cases) {
      const per: Record<string, Result[]> = {};
      const cpu: Record<string, number[]> = {};
      for (let r = 0; r < runs; r++) {
        for (const c of clusters) {
          const total = Math.max(100, Math.round(k.total * scale));
          const cpuBefore = cpuUs(procsOf(c));
          const res =
            etcdBenchmark !== null
              ? await runEtcdBenchmark(etcdBenchmark, c.endpoints, k, total)
              : await runNodeLoad(c, k, total);
          per[c.name] ??= [];
          per[c.name]!.push(res);
          cpu[c.name] ??= [];
          cpu[c.name]!.push((cpuUs(procsOf(c)) - cpuBefore) / total);
          process.stderr.write(
            `${c.name} ${k.label} run ${r + 1}: ${res.throughput} req/s p50 ${res.p50Ms} p99 ${res.p99Ms}\n`,
          );
        }
      }
      for (const c of clusters) {
        report.results[c.name]![k.label] = median(per[c.name]!);
        const sorted = [...cpu[c.name]!].sort((a, b) => a - b);
        report.cpuUsPerRequest[c.name]![k.label] = Math.round(sorted[Math.floor(sorted.length / 2)]!);
      }
    }
    for (const c of clusters) report.rssMiB[c.name] = procsOf(c).map((p) => memoryOf(p.pid).rssMiB);
  } finally {
    await Promise.all(clusters.flatMap((c) => procsOf(c).map((p) => stopProcess(p))));
    rmSync(root, { recursive: true, force: true });
  }
  if (values.chart !== undefined) {
    mkdirSync(dirname(resolve(values.chart)), { recursive: true });
    writeFileSync(values.chart, chartSvg(report, cases));
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${printTable(report, cases)}`);
}

function printTable(report: Report, cases: Case[]): string {
  const r = report.results.raftkv ?? {};
  const e = report.results.etcd;
  const lines: string[] = [];
  lines.push(`median of ${report.runs} runs; 8-byte keys, 256-byte values; load generator: ${report.tool}`);
  if (e === undefined) {
    lines.push("| case | raftkv req/s | p50 ms | p99 ms | CPU µs/req |", "|---|---|---|---|---|");
    for (const k of cases) {
      const a = r[k.label]!;
      lines.push(
        `| ${k.label} | ${a.throughput} | ${a.p50Ms} | ${a.p99Ms} | ${report.cpuUsPerRequest.raftkv?.[k.label]} |`,
      );
    }
  } else {
    lines.push(
      "| case | raftkv req/s | p50 ms | p99 ms | etcd req/s | p50 ms | p99 ms | throughput ratio | p99 ratio | CPU µs/req raftkv | etcd |",
    );
    lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const k of cases) {
      const a = r[k.label]!;
      const b = e[k.label]!;
      const tr = (a.throughput / Math.max(1, b.throughput)).toFixed(2);
      const pr = (a.p99Ms / Math.max(0.001, b.p99Ms)).toFixed(2);
      lines.push(
        `| ${k.label} | ${a.throughput} | ${a.p50Ms} | ${a.p99Ms} | ${b.throughput} | ${b.p50Ms} | ${b.p99Ms} | ${tr}x | ${pr}x | ` +
          `${report.cpuUsPerRequest.raftkv?.[k.label]} | ${report.cpuUsPerRequest.etcd?.[k.label]} |`,
      );
    }
  }
  for (const [s, rss] of Object.entries(report.rssMiB))
    lines.push(`RSS per member after the loads, ${s}: ${rss.join(", ")} MiB`);
  return `${lines.join("\n")}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`compare: ${(err as Error).stack}\n`);
  process.exit(1);
});
