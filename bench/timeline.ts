// Where a write's time goes: starts 3 members (optionally under `node --cpu-prof`), drives one
// put load with etcd-benchmark, then reads the leader's raftkv_write_stage_seconds histograms
// from /metrics and prints, per stage, the mean time since the write arrived at the leader; and,
// per member, its CPU per put (user + system, all threads), its log writes (each one LevelDB
// batch, one fsync) and its apply batches.
//
//   npm run build && node dist/bench/timeline.js [--clients 64] [--total 30000] [--profile DIR]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { procsOf, startRaftkv } from "./clusters.js";
import { findEtcdBenchmark, runEtcdBenchmark } from "./etcd-benchmark.js";
import { cpuUs, stopProcess, waitWritable } from "./procs.js";
import { stageMeansMs, writeCounts } from "./stage-metrics.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: "string", default: "64" },
      total: { type: "string", default: "30000" },
      profile: { type: "string" },
      base: { type: "string", default: "24379" },
    },
  });
  const tool = findEtcdBenchmark();
  if (tool === null) throw new Error("etcd-benchmark not found: set ETCD_BENCHMARK");
  const base = Number(values.base);
  const root = mkdtempSync(join(tmpdir(), "raftkv-timeline-"));
  const cluster = startRaftkv(root, base, {
    profileDir: values.profile === undefined ? null : resolve(values.profile),
  });
  const endpoints = cluster.endpoints;
  try {
    await waitWritable(endpoints);
    const clients = Number(values.clients);
    const k = {
      label: `put${clients}`,
      op: "put" as const,
      clients,
      conns: Math.min(clients, 64),
      consistency: "l" as const,
      total: 0,
    };
    const total = Number(values.total);
    const cpuBefore = cluster.members.map((m) => cpuUs([m.proc]));
    const r = await runEtcdBenchmark(tool, endpoints, k, total);
    const cpuAfter = cluster.members.map((m) => cpuUs([m.proc]));
    process.stdout.write(
      `put, ${clients} clients: ${r.throughput} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms\n`,
    );
    for (const [i, m] of cluster.members.entries()) {
      const text = await (await fetch(`http://${m.metrics}/metrics`)).text();
      const c = writeCounts(text);
      process.stdout.write(
        `${m.name}: ${(((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0)) / total).toFixed(0)} µs CPU per put, ` +
          `${c.logWrites} log writes (${(c.logEntries / c.logWrites).toFixed(1)} entries each), ` +
          `${c.applies} apply batches\n`,
      );
    }
    for (const m of cluster.members) {
      const text = await (await fetch(`http://${m.metrics}/metrics`)).text();
      const means = stageMeansMs(text);
      if ((means.get("answered")?.count ?? 0) < 100) continue; // not the leader
      process.stdout.write(`leader ${m.name}: mean ms since the write arrived\n`);
      for (const [stage, m] of means) process.stdout.write(`  ${stage.padEnd(17)} ${m.meanMs.toFixed(2)}\n`);
    }
  } finally {
    await Promise.all(procsOf(cluster).map((p) => stopProcess(p)));
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`timeline: ${(err as Error).stack}\n`);
  process.exit(1);
});
