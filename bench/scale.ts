// The cost curve against key count: 3 members on disk, loaded to each size in turn (default 10k,
// 100k, 1M and 5M keys of 16 bytes with 256-byte values), and at each size:
//   - the load rate (Txns of 128 puts, many in flight, to the leader);
//   - RSS per member (VmRSS, and its anonymous and file-backed parts: LevelDB maps its tables);
//   - the start time of a member: a follower stopped with SIGTERM and started again from its data
//     dir, timed until it answers a serializable Range, then a linearizable one;
//   - put-64 and get-64 (serializable and linearizable) with etcd's benchmark client; the puts
//     overwrite existing keys (`--sequential-keys` over the loaded key space), the gets read one
//     existing key (etcd-benchmark's range takes a single key);
//   - the catch-up of a new member: added as a learner, started with an empty data dir, timed
//     until its revision and applied index reach the leader's, its RSS sampled every 200 ms;
//     then removed, so that the next size starts from 3 members again.
// With `--etcd`, etcd 3.4 (Debian's etcd-server) runs the same curve after raftkv, in the same run.
//
//   npm run build && node dist/bench/scale.js [--sizes 10k,100k,1M,5M] [--etcd] [--dir DIR]
//       [--out results.json] [--chart docs/scale.svg] [--scale 1] [--runs 1]
//       [--snapshot-count 5000] [--quota-bytes 8589934592] [--load-concurrency 16] [--keep]
//
// Loopback only, fixed ports (raftkv 27379-27412, etcd 28379-28412). Every process it starts is
// stopped at the end, on failure and on Ctrl-C. Data dirs go under --dir (default the system temp
// dir), which must be on disk: tmpfs is refused.

import { type ChildProcess, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { EtcdClient, type EtcdClientOptions, op } from "../src/client/index.js";
import {
  addresses,
  type Cluster,
  type ClusterOptions,
  etcdMember,
  type Member,
  procsOf,
  raftkvMember,
  spawnMember,
  startEtcd,
  startRaftkv,
} from "./clusters.js";
import {
  type BenchCase,
  findEtcdBenchmark,
  median,
  type Result,
  runEtcdBenchmark,
} from "./etcd-benchmark.js";
import { type Memory, memoryOf, onInterrupt, stopProcess } from "./procs.js";
import { benchmarkKey, KEY_SIZE, parseSize, sizeLabel } from "./scale-keys.js";
import { chartsSvg } from "./svg.js";

const VALUE_SIZE = 256;
/** Puts per load Txn: etcd's default --max-txn-ops, and raftkv's limit (src/api/server.ts). */
const TXN_OPS = 128;
/** The key the gets read: printable (etcd-benchmark takes it as an argument), 16 bytes. */
const RANGE_KEY = "scale-range-key!";
const BASES = { raftkv: 27379, etcd: 28379 } as const;
/** The new member's slot (ports base+30..32). */
const JOIN_SLOT = 3;
const SAMPLE_MS = 200;
const TMPFS_MAGIC = 0x01021994;

const execFileAsync = promisify(execFile);

interface Options {
  readonly sizes: number[];
  readonly etcd: boolean;
  readonly dir: string;
  readonly keep: boolean;
  readonly out: string | undefined;
  readonly chart: string | undefined;
  readonly scale: number;
  readonly runs: number;
  readonly snapshotCount: number;
  readonly quotaBytes: number;
  readonly loadConcurrency: number;
  readonly catchUpTimeoutS: number;
}

interface SizeResult {
  system: "raftkv" | "etcd";
  keys: number;
  /** loaderCpuS: this process's CPU time while loading (it should stay well below seconds × cores). */
  load: { keys: number; seconds: number; keysPerS: number; loaderCpuS: number };
  /** The leader's Status dbSize. */
  dbSizeMiB: number;
  revision: number;
  memoryAfterLoad: Record<string, Memory>;
  memoryAfterBench: Record<string, Memory>;
  restart: { member: string; stopS: number; exit: string; startS: number; readyS: number; memory: Memory };
  bench: Record<string, Result>;
  catchUp: { member: string; seconds: number; via: "snapshot" | "log"; peak: Memory; end: Memory };
  seconds: number;
}

interface Report {
  startedAt: string;
  finishedAt: string | null;
  options: Omit<Options, "dir" | "keep" | "out" | "chart">;
  machine: { cpus: number; memGiB: number; node: string; etcdBenchmark: string };
  flags: Record<string, string[]>;
  results: SizeResult[];
}

/** A client for one call series on fresh connections (no reconnect backoff carried over). */
function clientOf(endpoints: readonly string[], timeoutMs = 2000): EtcdClient {
  const options: EtcdClientOptions = {
    timeoutMs,
    channelOptions: {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.initial_reconnect_backoff_ms": 50,
      "grpc.max_reconnect_backoff_ms": 500,
    },
  };
  return new EtcdClient([...endpoints], options);
}

async function withClient<T>(endpoints: readonly string[], fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = clientOf(endpoints);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Polls `probe` every `everyMs` until it answers true; seconds since `t0`. Throws after `timeoutMs`. */
async function pollUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
  t0 = performance.now(),
): Promise<number> {
  const deadline = t0 + timeoutMs;
  for (;;) {
    if (await probe()) return (performance.now() - t0) / 1000;
    if (performance.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function alive(p: ChildProcess, what: string, logFile: string | null): void {
  if (p.exitCode === null && p.signalCode === null) return;
  let tail = "";
  try {
    if (logFile !== null) tail = `\n${readFileSync(logFile, "utf8").slice(-3000)}`;
  } catch {
    // no log
  }
  throw new Error(`${what} exited (${p.exitCode ?? p.signalCode})${tail}`);
}

async function leaderOf(c: Cluster): Promise<string> {
  return withClient(c.endpoints, (client) => client.leaderEndpoint());
}

/** Waits until every member answers Status with the same revision; that revision. */
async function waitConverged(c: Cluster, timeoutMs: number): Promise<number> {
  let revision = 0;
  await pollUntil(
    `${c.name}: members converge`,
    async () => {
      for (const m of c.members) alive(m.proc, m.name, m.logFile);
      const revs = await Promise.all(
        c.members.map((m) =>
          withClient([m.client], (client) => client.status(m.client)).then(
            (s) => Number(s.header?.revision ?? 0),
            () => -1,
          ),
        ),
      );
      revision = revs[0]!;
      return revision > 0 && revs.every((r) => r === revision);
    },
    timeoutMs,
    SAMPLE_MS,
  );
  return revision;
}

/** Writes keys [from, to) with fresh random 256-byte values, TXN_OPS per Txn, to the leader. */
async function load(c: Cluster, from: number, to: number, o: Options): Promise<SizeResult["load"]> {
  const leader = await leaderOf(c);
  const conns = Math.min(8, o.loadConcurrency);
  const clients = Array.from({ length: conns }, () => clientOf([leader], 60_000));
  let next = from;
  let done = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const progress = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(`  ${c.name} load ${from + done}/${to} keys (${Math.round(done / s)} keys/s)\n`);
  }, 10_000);
  const worker = async (w: number): Promise<void> => {
    const client = clients[w % conns]!;
    while (next < to) {
      const start = next;
      const end = Math.min(to, start + TXN_OPS);
      next = end;
      const values = randomBytes((end - start) * VALUE_SIZE);
      const success = [];
      for (let i = start; i < end; i++) {
        const at = (i - start) * VALUE_SIZE;
        success.push(op.put(benchmarkKey(i), values.subarray(at, at + VALUE_SIZE)));
      }
      for (let attempt = 1; ; attempt++) {
        try {
          await client.txn({ success });
          break;
        } catch (err) {
          const message = (err as Error).message;
          // Puts of the same values are safe to repeat; a full quota is not worth retrying.
          if (attempt >= 8 || /space exceeded|NOSPACE/i.test(message))
            throw new Error(`${c.name}: loading keys ${start}..${end} failed: ${message}`);
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        }
      }
      done += end - start;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.loadConcurrency }, (_, w) => worker(w)));
  } finally {
    clearInterval(progress);
    for (const client of clients) client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    keys: to - from,
    seconds: round1(seconds),
    keysPerS: Math.round((to - from) / seconds),
    loaderCpuS: round1((cpu.user + cpu.system) / 1e6),
  };
}

function memories(c: Cluster): Record<string, Memory> {
  return Object.fromEntries(c.members.map((m) => [m.name, memoryOf(m.proc.pid)]));
}

/** A follower: SIGTERM, start again from its data dir, time until it serves reads. */
async function restartFollower(c: Cluster, track: (p: ChildProcess) => void): Promise<SizeResult["restart"]> {
  const leader = await leaderOf(c);
  const m = c.members.find((x) => x.client !== leader)!;
  const t0 = performance.now();
  await stopProcess(m.proc, 120_000);
  const stopS = round2((performance.now() - t0) / 1000);
  const exit = m.proc.signalCode ?? `code ${m.proc.exitCode}`;
  const t1 = performance.now();
  m.proc = spawnMember(m, track);
  const reads = (serializable: boolean) => async (): Promise<boolean> => {
    alive(m.proc, `${m.name} (restarted)`, m.logFile);
    // limit 1: src/client sends an empty range_end, which etcd 3.4 reads as "to the end of the
    // keyspace"; the first key from RANGE_KEY on is RANGE_KEY itself on both systems.
    return withClient([m.client], (client) => client.get(RANGE_KEY, { serializable, limit: 1 })).then(
      (r) => r.kvs[0]?.key.toString() === RANGE_KEY,
      () => false,
    );
  };
  const startS = await pollUntil(`${m.name}: serializable read after restart`, reads(true), 900_000, 50, t1);
  const readyS = await pollUntil(`${m.name}: linearizable read after restart`, reads(false), 900_000, 50, t1);
  return {
    member: m.name,
    stopS,
    exit,
    startS: round2(startS),
    readyS: round2(readyS),
    memory: memoryOf(m.proc.pid),
  };
}

function benchCases(size: number, scale: number): { k: BenchCase; total: number }[] {
  const common = { clients: 64, conns: 64, keySize: KEY_SIZE, keySpaceSize: size, rangeKey: RANGE_KEY };
  const reads = Math.max(100, Math.round(40_000 * scale));
  return [
    // At most one put per loaded key: past the key space etcd-benchmark's reused key buffer would
    // write keys that were never loaded.
    {
      k: { label: "put64", op: "put", consistency: "l", total: 30_000, ...common },
      total: Math.min(size, Math.max(100, Math.round(30_000 * scale))),
    },
    { k: { label: "range-s64", op: "range", consistency: "s", total: 40_000, ...common }, total: reads },
    { k: { label: "range-l64", op: "range", consistency: "l", total: 40_000, ...common }, total: reads },
  ];
}

/** How a system adds and removes the catch-up member. */
interface Joiner {
  readonly spec: Omit<Member, "proc">;
  remove(): Promise<void>;
}

async function addRaftkvMember(
  c: Cluster,
  root: string,
  size: number,
  opts: ClusterOptions,
): Promise<Joiner> {
  const name = `r4-${sizeLabel(size)}`; // member IDs derive from names and are never reused
  const spec = raftkvMember({
    name,
    root,
    base: BASES.raftkv,
    index: JOIN_SLOT,
    join: c.endpoints,
    logLevel: "info",
    options: opts,
  });
  const added = await withClient(c.endpoints, (client) =>
    client.memberAdd([`http://${spec.peer}`], { isLearner: true, name }),
  );
  const id = Number(added.member?.ID ?? 0);
  return { spec, remove: () => withClient(c.endpoints, (client) => client.memberRemove(id)).then(() => {}) };
}

/** etcd's member IDs are random 64-bit numbers (beyond a JS number), so etcdctl handles them. */
async function addEtcdMember(c: Cluster, root: string, size: number, opts: ClusterOptions): Promise<Joiner> {
  const name = `e4-${sizeLabel(size)}`;
  const peer = addresses(BASES.etcd, JOIN_SLOT).peer;
  const etcdctl = (...args: string[]) =>
    execFileAsync("etcdctl", ["--endpoints", c.endpoints.join(","), ...args], {
      env: { ...process.env, ETCDCTL_API: "3" },
      timeout: 60_000,
    });
  const { stdout } = await etcdctl("member", "add", name, `--peer-urls=http://${peer}`, "--learner");
  const id = /Member\s+([0-9a-f]+)\s+added/.exec(stdout)?.[1];
  const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(stdout)?.[1];
  if (id === undefined || initialCluster === undefined)
    throw new Error(`etcdctl member add: unexpected output:\n${stdout}`);
  const spec = etcdMember({
    name,
    root,
    base: BASES.etcd,
    index: JOIN_SLOT,
    initialCluster,
    state: "existing",
    logLevel: "info",
    options: opts,
  });
  return { spec, remove: () => etcdctl("member", "remove", id).then(() => {}) };
}

/** Whether the member's log says it installed a snapshot (raftkv: node.ts; etcd 3.4: zap logger). */
function installedSnapshot(system: "raftkv" | "etcd", logFile: string | null): boolean {
  if (logFile === null) return false;
  const text = readFileSync(logFile, "utf8");
  return system === "raftkv"
    ? text.includes("installed snapshot")
    : /applied (incoming )?snapshot/i.test(text);
}

async function catchUp(
  c: Cluster,
  root: string,
  size: number,
  o: Options,
  opts: ClusterOptions,
  track: (p: ChildProcess) => void,
): Promise<SizeResult["catchUp"]> {
  const joiner = await (c.name === "raftkv" ? addRaftkvMember : addEtcdMember)(c, root, size, opts);
  const { spec } = joiner;
  const leader = await leaderOf(c);
  const target = await withClient([leader], (client) => client.status(leader));
  const t0 = performance.now();
  const proc = spawnMember(spec, track);
  let peak: Memory = memoryOf(proc.pid);
  let seconds: number;
  let end: Memory;
  try {
    seconds = await pollUntil(
      `${spec.name}: catch up`,
      async () => {
        alive(proc, spec.name, spec.logFile);
        const mem = memoryOf(proc.pid);
        if (mem.rssMiB > peak.rssMiB) peak = mem;
        const st = await withClient([spec.client], (client) => client.status(spec.client)).catch(() => null);
        if (
          st === null ||
          Number(st.header?.revision ?? 0) < Number(target.header?.revision ?? 0) ||
          Number(st.raftAppliedIndex) < Number(target.raftAppliedIndex)
        ) {
          return false;
        }
        // Status reports a snapshot's revision before raftkv has rebuilt its key index from it:
        // caught up once it also serves a read.
        return withClient([spec.client], (client) =>
          client.get(RANGE_KEY, { serializable: true, limit: 1 }),
        ).then(
          (r) => r.kvs[0]?.key.toString() === RANGE_KEY,
          () => false,
        );
      },
      o.catchUpTimeoutS * 1000,
      SAMPLE_MS,
      t0,
    );
    end = memoryOf(proc.pid);
    if (end.rssMiB > peak.rssMiB) peak = end;
    // The next size must start from 3 members again: a failed removal ends the run.
    await joiner.remove();
  } finally {
    await stopProcess(proc, 30_000);
  }
  // Read once it has exited: its logger may hold lines in a buffer until then.
  const via = installedSnapshot(c.name, spec.logFile) ? "snapshot" : "log";
  rmSync(spec.dataDir, { recursive: true, force: true });
  return { member: spec.name, seconds: round2(seconds), via, peak, end };
}

function clusterFlags(system: "raftkv" | "etcd", o: Options): string[] {
  return [
    "--quota-backend-bytes",
    String(o.quotaBytes),
    "--snapshot-count",
    String(o.snapshotCount),
    ...(system === "etcd" ? ["--logger", "zap", "--log-outputs", "stderr"] : []),
  ];
}

async function portsFree(base: number): Promise<void> {
  for (let i = 0; i <= JOIN_SLOT; i++) {
    for (const port of [base + i * 10, base + i * 10 + 1, base + i * 10 + 2]) {
      const free = await new Promise<boolean>((r) => {
        const srv = createServer();
        srv.once("error", () => r(false));
        srv.listen(port, "127.0.0.1", () => srv.close(() => r(true)));
      });
      if (!free) throw new Error(`port ${port} on 127.0.0.1 is in use (another bench running?)`);
    }
  }
}

async function runSystem(
  system: "raftkv" | "etcd",
  o: Options,
  root: string,
  tool: string,
  track: (p: ChildProcess) => void,
  signal: AbortSignal,
  report: Report,
  save: () => void,
): Promise<void> {
  await portsFree(BASES[system]);
  const dataRoot = join(root, system);
  const logDir = join(root, "logs");
  mkdirSync(dataRoot, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const opts: ClusterOptions = { extraArgs: clusterFlags(system, o), logDir };
  report.flags[system] = [...opts.extraArgs!];
  const c = (system === "raftkv" ? startRaftkv : startEtcd)(dataRoot, BASES[system], opts, track);
  try {
    await pollUntil(
      `${system}: first write`,
      async () => {
        for (const m of c.members) alive(m.proc, m.name, m.logFile);
        return withClient(c.endpoints, (client) => client.put(RANGE_KEY, randomBytes(VALUE_SIZE))).then(
          () => true,
          () => false,
        );
      },
      60_000,
      100,
    );
    let loaded = 0;
    for (const size of o.sizes) {
      const t0 = performance.now();
      process.stderr.write(`${system} ${sizeLabel(size)}: loading ${size - loaded} keys\n`);
      const loadResult = await load(c, loaded, size, o);
      loaded = size;
      const revision = await waitConverged(c, 900_000);
      const memoryAfterLoad = memories(c);
      process.stderr.write(
        `${system} ${sizeLabel(size)}: ${loadResult.keysPerS} keys/s in ${loadResult.seconds} s ` +
          `(loader CPU ${loadResult.loaderCpuS} s); restarting a follower\n`,
      );
      const restart = await restartFollower(c, track);
      await waitConverged(c, 900_000);
      const bench: Record<string, Result> = {};
      for (const { k, total } of benchCases(size, o.scale)) {
        const runs: Result[] = [];
        for (let r = 0; r < o.runs; r++)
          runs.push(await runEtcdBenchmark(tool, c.endpoints, k, total, true, signal));
        bench[k.label] = median(runs);
        const b = bench[k.label]!;
        process.stderr.write(
          `${system} ${sizeLabel(size)}: ${k.label} ${b.throughput} req/s p99 ${b.p99Ms} ms\n`,
        );
      }
      const memoryAfterBench = memories(c);
      const leader = await leaderOf(c);
      const st = await withClient([leader], (client) => client.status(leader));
      process.stderr.write(`${system} ${sizeLabel(size)}: a new member catches up\n`);
      const cu = await catchUp(c, dataRoot, size, o, opts, track);
      report.results.push({
        system,
        keys: size,
        load: loadResult,
        dbSizeMiB: Math.round(Number(st.dbSize) / 2 ** 20),
        revision,
        memoryAfterLoad,
        memoryAfterBench,
        restart,
        bench,
        catchUp: cu,
        seconds: round1((performance.now() - t0) / 1000),
      });
      save();
      process.stderr.write(`${tableRow(report.results.at(-1)!)}\n`);
    }
  } finally {
    await Promise.all(procsOf(c).map((p) => stopProcess(p, 30_000)));
  }
}

function maxMemory(m: Record<string, Memory>): Memory {
  return Object.values(m).reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a), {
    rssMiB: 0,
    anonMiB: 0,
    fileMiB: 0,
  });
}

function mem(m: Memory): string {
  return `${m.rssMiB} (${m.anonMiB}/${m.fileMiB})`;
}

const HEADER = [
  "| keys | system | load keys/s | RSS MiB, max of 3 (anon/file) | db MiB | start s (linearizable) | put64 req/s (p99 ms) | get64 s req/s (p99 ms) | get64 l req/s (p99 ms) | catch-up s | catch-up peak RSS MiB (anon/file) |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
];

function tableRow(r: SizeResult): string {
  const b = (label: string): string => {
    const x = r.bench[label];
    return x === undefined ? "-" : `${x.throughput} (${x.p99Ms})`;
  };
  return (
    `| ${sizeLabel(r.keys)} | ${r.system} | ${r.load.keysPerS} | ${mem(maxMemory(r.memoryAfterBench))} | ${r.dbSizeMiB} | ` +
    `${r.restart.startS} (${r.restart.readyS}) | ${b("put64")} | ${b("range-s64")} | ${b("range-l64")} | ` +
    `${r.catchUp.seconds}${r.catchUp.via === "log" ? " (log)" : ""} | ${mem(r.catchUp.peak)} |`
  );
}

function table(report: Report): string {
  const rows = [...report.results].sort((a, b) => a.keys - b.keys || a.system.localeCompare(b.system));
  return [...HEADER, ...rows.map(tableRow)].join("\n");
}

function chart(report: Report): string {
  const sizes = [...new Set(report.results.map((r) => r.keys))].sort((a, b) => a - b);
  const systems = [...new Set(report.results.map((r) => r.system))];
  const color = { raftkv: "#d62728", etcd: "#1f77b4" } as const;
  const at = (s: string, f: (r: SizeResult) => number) =>
    sizes.map((n) => {
      const r = report.results.find((x) => x.system === s && x.keys === n);
      return r === undefined ? null : f(r);
    });
  const keyTitle = `keys (${KEY_SIZE}-byte keys, ${VALUE_SIZE}-byte values)`;
  return chartsSvg([
    {
      title: "RSS per member, max of 3 (MiB; dashed: anonymous)",
      xLabels: sizes.map(sizeLabel),
      xTitle: keyTitle,
      series: systems.flatMap((s) => [
        { name: `${s} RSS`, color: color[s], values: at(s, (r) => maxMemory(r.memoryAfterBench).rssMiB) },
        {
          name: `${s} anon`,
          color: color[s],
          dashed: true,
          values: at(s, (r) => maxMemory(r.memoryAfterBench).anonMiB),
        },
      ]),
    },
    {
      title: "throughput, 64 clients (req/s; dashed: serializable get)",
      xLabels: sizes.map(sizeLabel),
      xTitle: keyTitle,
      series: systems.flatMap((s) => [
        { name: `${s} put`, color: color[s], values: at(s, (r) => r.bench.put64?.throughput ?? 0) },
        {
          name: `${s} get`,
          color: color[s],
          dashed: true,
          values: at(s, (r) => r.bench["range-s64"]?.throughput ?? 0),
        },
      ]),
    },
  ]);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "10000,100000,1000000,5000000" },
      etcd: { type: "boolean", default: false },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
      chart: { type: "string" },
      scale: { type: "string", default: "1" },
      runs: { type: "string", default: "1" },
      "snapshot-count": { type: "string", default: "5000" },
      "quota-bytes": { type: "string", default: String(8 * 2 ** 30) },
      "load-concurrency": { type: "string", default: "16" },
      "catch-up-timeout": { type: "string", default: "3600" },
    },
  });
  const positive = (v: string, flag: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${flag}: "${v}" is not a positive number`);
    return n;
  };
  const sizes = values.sizes.split(",").map(parseSize);
  if (sizes.some((n, i) => i > 0 && n <= sizes[i - 1]!)) throw new Error("--sizes must grow");
  const dir = resolve(values.dir ?? tmpdir());
  if (statfsSync(dir).type === TMPFS_MAGIC)
    throw new Error(`${dir} is tmpfs: give --dir a directory on disk`);
  return {
    sizes,
    etcd: values.etcd,
    dir,
    keep: values.keep,
    out: values.out,
    chart: values.chart,
    scale: positive(values.scale, "scale"),
    runs: Math.round(positive(values.runs, "runs")),
    snapshotCount: Math.round(positive(values["snapshot-count"], "snapshot-count")),
    quotaBytes: Math.round(positive(values["quota-bytes"], "quota-bytes")),
    loadConcurrency: Math.round(positive(values["load-concurrency"], "load-concurrency")),
    catchUpTimeoutS: positive(values["catch-up-timeout"], "catch-up-timeout"),
  };
}

async function main(): Promise<void> {
  const o = options();
  const tool = findEtcdBenchmark();
  if (tool === null) throw new Error("etcd-benchmark not found: set ETCD_BENCHMARK");
  if (o.etcd)
    await execFileAsync("etcd", ["--version"]).catch(() => Promise.reject(new Error("no `etcd` on PATH")));
  mkdirSync(o.dir, { recursive: true });
  const root = mkdtempSync(join(o.dir, "raftkv-scale-"));
  const live = new Set<ChildProcess>();
  const track = (p: ChildProcess): void => {
    live.add(p);
    p.once("exit", () => live.delete(p));
  };
  const abort = new AbortController();
  let ok = false;
  const cleanup = async (): Promise<void> => {
    abort.abort();
    await Promise.all([...live].map((p) => stopProcess(p)));
    if (o.keep) return void process.stderr.write(`kept ${root}\n`);
    for (const system of ["raftkv", "etcd"]) rmSync(join(root, system), { recursive: true, force: true });
    if (ok) rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`member logs kept in ${join(root, "logs")}\n`);
  };
  const removeHandlers = onInterrupt(cleanup);
  const { dir: _d, keep: _k, out: _o, chart: _c, ...recorded } = o;
  const report: Report = {
    startedAt: new Date().toISOString(),
    finishedAt: null,
    options: recorded,
    machine: {
      cpus: cpus().length,
      memGiB: round1(totalmem() / 2 ** 30),
      node: process.version,
      etcdBenchmark: tool,
    },
    flags: {},
    results: [],
  };
  const save = (): void => {
    if (o.out === undefined) return;
    mkdirSync(dirname(resolve(o.out)), { recursive: true });
    writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
  };
  try {
    process.stderr.write(`data and logs under ${root}\n`);
    for (const system of o.etcd ? (["raftkv", "etcd"] as const) : (["raftkv"] as const)) {
      await runSystem(system, o, root, tool, track, abort.signal, report, save);
      rmSync(join(root, system), { recursive: true, force: true });
    }
    report.finishedAt = new Date().toISOString();
    save();
    if (o.chart !== undefined) {
      mkdirSync(dirname(resolve(o.chart)), { recursive: true });
      writeFileSync(o.chart, chart(report));
    }
    process.stdout.write(
      `${KEY_SIZE}-byte keys, ${VALUE_SIZE}-byte values; 3 members on disk; flags: ` +
        `${Object.entries(report.flags)
          .map(([s, f]) => `${s} ${f.join(" ")}`)
          .join("; ")}\n${table(report)}\n`,
    );
    ok = true;
  } finally {
    removeHandlers();
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`scale: ${(err as Error).stack}\n`);
  process.exit(1);
});
