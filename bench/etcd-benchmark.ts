// Runs etcd's own load generator (tools/benchmark of etcd 3.4, prebuilt in ../shared/tools) and
// parses its summary. Shared by compare.ts (3 members beside etcd) and single.ts (one member
// beside the grpc-js ceiling).

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");

export interface BenchCase {
  readonly label: string;
  readonly op: "put" | "range";
  readonly clients: number;
  readonly conns: number;
  readonly consistency: "l" | "s";
  /** Requests per run at --scale 1 (the shared tools README's standard loads). */
  readonly total: number;
  /** Put keys: this many bytes (default 8), `--sequential-keys` over `keySpaceSize` (default 100000). */
  readonly keySize?: number;
  readonly keySpaceSize?: number;
  /** The key a range reads (default `foo`). */
  readonly rangeKey?: string;
}

export interface Result {
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** $ETCD_BENCHMARK, then ../shared/tools/etcd-benchmark beside the checkout; null when neither. */
export function findEtcdBenchmark(): string | null {
  const candidates = [process.env.ETCD_BENCHMARK, join(REPO, "../shared/tools/etcd-benchmark")];
  for (const c of candidates) if (c !== undefined && c !== "" && existsSync(c)) return c;
  return null;
}

export function median(results: readonly Result[]): Result {
  const sorted = [...results].sort((a, b) => a.throughput - b.throughput);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Parses etcd-benchmark's summary ("Requests/sec:", "50% in X secs.", "99% in X secs."). */
export function parseEtcdBenchmark(out: string): Result {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (m === null) throw new Error(`etcd-benchmark output lacks ${re}:\n${out.slice(-2000)}`);
    return Number(m[1]);
  };
  const errors = /Error distribution:([\s\S]*)$/.exec(out)?.[1] ?? "";
  let errorCount = 0;
  for (const m of errors.matchAll(/\[(\d+)\]/g)) errorCount += Number(m[1]);
  return {
    throughput: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: round2(num(/50% in ([\d.e-]+) secs/) * 1000),
    p99Ms: round2(num(/99% in ([\d.e-]+) secs/) * 1000),
    errors: errorCount,
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Puts go to the leader (`--target-leader`, which asks Cluster.MemberList) unless `targetLeader` is
 * false. An aborted `signal` kills the run.
 */
export function runEtcdBenchmark(
  tool: string,
  endpoints: readonly string[],
  k: BenchCase,
  total: number,
  targetLeader = true,
  signal?: AbortSignal,
): Promise<Result> {
  const args = [
    "--endpoints",
    endpoints.join(","),
    "--precise",
    "--conns",
    String(k.conns),
    "--clients",
    String(k.clients),
  ];
  if (k.op === "put") {
    if (targetLeader) args.push("--target-leader");
    args.push("put", "--key-size", String(k.keySize ?? 8), "--val-size", "256", "--sequential-keys");
    args.push("--key-space-size", String(k.keySpaceSize ?? 100_000), "--total", String(total));
  } else {
    args.push("range", k.rangeKey ?? "foo", "--consistency", k.consistency, "--total", String(total));
  }
  return new Promise((resolveRun, reject) => {
    execFile(tool, args, { maxBuffer: 64 * 1024 * 1024, timeout: 600_000, signal }, (err, stdout, stderr) => {
      if (err !== null)
        return reject(new Error(`etcd-benchmark failed: ${err.message}\n${stderr.slice(-2000)}`));
      try {
        resolveRun(parseEtcdBenchmark(stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** V8's young generation capped as Node 20 and 22 size it (Node 24 doubles it): docs/performance.md. */
export const MEMBER_NODE_OPTIONS = "--max-semi-space-size=16";

/** The environment raftkv members run with, as `npm start` and the Nix package set it. */
export const MEMBER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
  NODE_OPTIONS: process.env.NODE_OPTIONS ?? MEMBER_NODE_OPTIONS,
};
