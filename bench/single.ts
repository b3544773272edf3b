// One raftkv member, data dir on tmpfs (no fsync cost), beside the grpc-js ceiling (a grpc-js
// server that keeps Puts in a Map: bench/grpc-ceiling.ts), both driven by etcd-benchmark in one
// run, case by case, alternating. It shows the CPU per request of one member against what the
// gRPC layer alone costs.
//
//   npm run build && node dist/bench/single.js [--runs 3] [--scale 1] [--tmpfs /dev/shm]

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type BenchCase,
  findEtcdBenchmark,
  MEMBER_ENV,
  median,
  type Result,
  runEtcdBenchmark,
} from "./etcd-benchmark.js";
import { stopProcess, waitWritable } from "./procs.js";

const CLI = resolve(import.meta.dirname, "../src/cli/main.js");
const CEILING = resolve(import.meta.dirname, "grpc-ceiling.js");

const CASES: BenchCase[] = [
  { label: "put1", op: "put", clients: 1, conns: 1, consistency: "l", total: 3000 },
  { label: "put64", op: "put", clients: 64, conns: 64, consistency: "l", total: 30000 },
  { label: "range-s64", op: "range", clients: 64, conns: 64, consistency: "s", total: 40000 },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      scale: { type: "string", default: "1" },
      tmpfs: { type: "string", default: "/dev/shm" },
    },
  });
  const tool = findEtcdBenchmark();
  if (tool === null) throw new Error("etcd-benchmark not found: set ETCD_BENCHMARK");
  const dir = mkdtempSync(join(values.tmpfs!, "raftkv-single-"));
  const raftkvEndpoint = "127.0.0.1:23779";
  const ceilingEndpoint = "127.0.0.1:23790";
  const procs = [
    spawn(
      process.execPath,
      [CLI, "--name", "s1", "--data-dir", join(dir, "s1"), "--listen-client", raftkvEndpoint].concat([
        "--listen-peer",
        "127.0.0.1:23780",
        "--listen-metrics",
        "127.0.0.1:23781",
        "--log-level",
        "warn",
      ]),
      { stdio: "ignore", env: MEMBER_ENV },
    ),
    spawn(process.execPath, [CEILING, "--listen", ceilingEndpoint], { stdio: "ignore" }),
  ];
  const systems = [
    { name: "raftkv 1 member (tmpfs)", endpoint: raftkvEndpoint },
    { name: "grpc-js ceiling", endpoint: ceilingEndpoint },
  ];
  const out: Record<string, Record<string, Result>> = {};
  try {
    await Promise.all(systems.map((s) => waitWritable([s.endpoint], 20_000)));
    for (const k of CASES) {
      const per: Record<string, Result[]> = {};
      for (let r = 0; r < Number(values.runs); r++) {
        for (const s of systems) {
          const res = await runEtcdBenchmark(
            tool,
            [s.endpoint],
            k,
            Math.round(k.total * Number(values.scale)),
            false,
          );
          per[s.name] ??= [];
          per[s.name]!.push(res);
          process.stderr.write(`${s.name} ${k.label} run ${r + 1}: ${res.throughput} req/s\n`);
        }
      }
      for (const s of systems) {
        out[s.name] ??= {};
        out[s.name]![k.label] = median(per[s.name]!);
      }
    }
  } finally {
    await Promise.all(procs.map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  }
  const [a, b] = systems.map((s) => out[s.name]!);
  const lines = [
    `median of ${values.runs} runs, etcd-benchmark, 8-byte keys, 256-byte values`,
    "| case | raftkv req/s | p50 ms | p99 ms | grpc-js ceiling req/s | p50 ms | p99 ms | ratio |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const k of CASES) {
    const x = a![k.label]!;
    const y = b![k.label]!;
    lines.push(
      `| ${k.label} | ${x.throughput} | ${x.p50Ms} | ${x.p99Ms} | ${y.throughput} | ${y.p50Ms} | ${y.p99Ms} | ${(x.throughput / Math.max(1, y.throughput)).toFixed(2)}x |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`single: ${(err as Error).stack}\n`);
  process.exit(1);
});
