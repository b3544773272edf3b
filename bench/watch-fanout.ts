// Watch fan-out benchmark (not a test): ONE writer puts keys under a prefix; N watchers (1,000 by
// default) watch that prefix, spread over the cluster's members and over a few client processes.
// Reports the events delivered per second (all watchers together) and the delivery latency —
// from the moment the writer issued a put to the moment a watcher decoded its event — p50/p99.
//
// The same client code measures a 3-member raftkv and a 3-member etcd (the `etcd` binary, 3.4),
// each started here on loopback ports in a temp dir, one after the other on the same machine.
//
//   npm run build && node dist/bench/watch-fanout.js [--target both|raftkv|etcd] [--watchers 1000]
//       [--puts 1000] [--rate 100] [--inflight 1] [--workers 2] [--value-bytes 64] [--json]
//   --rate 0: the writer puts as fast as it can (with --inflight puts in flight).

import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as hdr from "hdr-histogram-js";
import { EtcdClient } from "../src/client/client.js";
import { WatchStream } from "../src/client/watch.js";
import type { WatchResponse } from "../src/kv/types.js";
import { freePort } from "../test/cluster/ports.js";

const PREFIX = "fanout/";

interface Options {
  target: "both" | "raftkv" | "etcd";
  watchers: number;
  puts: number;
  rate: number;
  inflight: number;
  workers: number;
  valueBytes: number;
  json: boolean;
}

interface WorkerReport {
  events: number;
  canceled: number;
  firstEventMs: number;
  lastEventMs: number;
  histogram: string;
}

interface Result {
  target: string;
  watchers: number;
  puts: number;
  putsPerSecond: number;
  events: number;
  expectedEvents: number;
  canceled: number;
  seconds: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
const nowMs = (): number => performance.timeOrigin + performance.now();

// ---- Worker: holds a share of the watchers, measures latency per event ----

async function runWorker(endpoints: string[], count: number, offset: number, expectedPerWatcher: number) {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000 });
  let events = 0;
  let canceled = 0;
  let firstEventMs = 0;
  let lastEventMs = 0;
  const streams: WatchStream[] = [];
  let done = 0;
  const finish = (): void => {
    process.send!({
      type: "report",
      report: {
        events,
        canceled,
        firstEventMs,
        lastEventMs,
        histogram: hdr.encodeIntoCompressedBase64(histogram),
      } satisfies WorkerReport,
    });
  };
  const created: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = endpoints[(offset + i) % endpoints.length]!;
    const stream = new WatchStream(endpoint);
    streams.push(stream);
    let seen = 0;
    stream.onResponse((r: WatchResponse) => {
      if (r.canceled) {
        canceled++;
        if (++done === count) finish();
        return;
      }
      if (r.events.length === 0) return;
      const at = nowMs();
      if (firstEventMs === 0) firstEventMs = at;
      lastEventMs = at;
      for (const e of r.events) {
        const sentAt = Number(e.kv!.value.toString("latin1", 0, 20));
        histogram.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
        events++;
        seen++;
      }
      if (seen === expectedPerWatcher && ++done === count) finish();
    });
    created.push(stream.create(PREFIX, { prefix: true }));
  }
  await Promise.all(created);
  process.send!({ type: "ready" });
  process.on("message", (m: { type: string }) => {
    if (m.type === "stop") {
      finish();
      for (const s of streams) s.close();
      setImmediate(() => process.exit(0));
    }
  });
}

// ---- Clusters ----

interface Cluster {
  endpoints: string[];
  stop(): Promise<void>;
}

async function startCluster(target: "raftkv" | "etcd"): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `fanout-${target}-`));
  const nodes = await Promise.all(
    [1, 2, 3].map(async (i) => ({ name: `n${i}`, client: await freePort(), peer: await freePort() })),
  );
  const procs: ChildProcess[] = [];
  const cli = resolve(import.meta.dirname, "../src/cli/main.js");
  for (const n of nodes) {
    const args =
      target === "raftkv"
        ? [
            cli,
            "--name",
            n.name,
            "--data-dir",
            join(dir, n.name),
            "--listen-client",
            `127.0.0.1:${n.client}`,
            "--listen-peer",
            `127.0.0.1:${n.peer}`,
            "--listen-metrics",
            "",
            "--peers",
            nodes.map((m) => `${m.name}=127.0.0.1:${m.peer}`).join(","),
            "--log-level",
            "warn",
            "--log-format",
            "json",
          ]
        : [
            "--name",
            n.name,
            "--data-dir",
            join(dir, n.name),
            "--listen-client-urls",
            `http://127.0.0.1:${n.client}`,
            "--advertise-client-urls",
            `http://127.0.0.1:${n.client}`,
            "--listen-peer-urls",
            `http://127.0.0.1:${n.peer}`,
            "--initial-advertise-peer-urls",
            `http://127.0.0.1:${n.peer}`,
            "--initial-cluster",
            nodes.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(","),
            "--initial-cluster-state",
            "new",
            "--initial-cluster-token",
            "fanout",
            "--log-level",
            "error",
          ];
    const proc =
      target === "raftkv"
        ? spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] })
        : spawn("etcd", args, { stdio: ["ignore", "ignore", "ignore"] });
    procs.push(proc);
  }
  const endpoints = nodes.map((n) => `127.0.0.1:${n.client}`);
  const stop = async (): Promise<void> => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((res) => {
            if (p.exitCode !== null || p.signalCode !== null) return res();
            p.once("exit", () => res());
            p.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new EtcdClient(endpoints, { timeoutMs: 2000 });
    try {
      const statuses = await Promise.all(endpoints.map((e) => client.status(e)));
      if (statuses.every((s) => Number(s.leader) !== 0)) {
        await client.put(`${PREFIX}warmup`, "x");
        await client.delete(PREFIX, { prefix: true });
        client.close();
        return { endpoints, stop };
      }
    } catch {
      // not up yet
    }
    client.close();
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${target} cluster did not start`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- The run ----

async function measure(target: "raftkv" | "etcd", o: Options): Promise<Result> {
  const cluster = await startCluster(target);
  const workers: ChildProcess[] = [];
  try {
    const reports: WorkerReport[] = [];
    let allReady = (): void => undefined;
    const ready = new Promise<void>((r) => {
      allReady = r;
    });
    const reported = new Promise<void>((resolveAll) => {
      let readyCount = 0;
      const perWorker = Math.ceil(o.watchers / o.workers);
      for (let w = 0; w < o.workers; w++) {
        const count = Math.min(perWorker, o.watchers - w * perWorker);
        const child = fork(
          process.argv[1]!,
          ["--worker", cluster.endpoints.join(","), String(count), String(w * perWorker), String(o.puts)],
          { stdio: ["ignore", "inherit", "inherit", "ipc"] },
        );
        workers.push(child);
        child.on("message", (m: { type: string; report?: WorkerReport }) => {
          if (m.type === "ready" && ++readyCount === o.workers) allReady();
          if (m.type === "report") {
            reports.push(m.report!);
            if (reports.length === o.workers) resolveAll();
          }
        });
      }
    });
    await ready;
    // The leader: one writer, on one connection.
    const probe = new EtcdClient(cluster.endpoints, { timeoutMs: 5000 });
    const leaderId = Number((await probe.status(cluster.endpoints[0])).leader);
    let leaderEndpoint = cluster.endpoints[0]!;
    for (const e of cluster.endpoints) {
      if (Number((await probe.status(e)).header?.memberId) === leaderId) leaderEndpoint = e;
    }
    probe.close();
    const writer = new EtcdClient([leaderEndpoint], { timeoutMs: 10_000 });
    const started = nowMs();
    let issued = 0;
    const put = async (): Promise<void> => {
      const i = issued++;
      const value = nowMs().toFixed(3).padStart(20, "0").padEnd(o.valueBytes, "x");
      await writer.put(`${PREFIX}${i % 1000}`, value);
    };
    const lanes = Array.from({ length: o.inflight }, async () => {
      while (issued < o.puts) {
        if (o.rate > 0) {
          // Paced: put i is due at started + i / rate.
          const due = started + (issued * 1000) / o.rate;
          const wait = due - nowMs();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          if (issued >= o.puts) break;
        }
        await put();
      }
    });
    await Promise.all(lanes);
    const wroteMs = nowMs() - started;
    writer.close();
    const timeout = setTimeout(() => {
      for (const w of workers) w.send({ type: "stop" });
    }, 60_000);
    await reported;
    clearTimeout(timeout);
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000 });
    for (const r of reports) histogram.add(hdr.decodeFromCompressedBase64(r.histogram));
    const events = reports.reduce((n, r) => n + r.events, 0);
    const last = Math.max(...reports.map((r) => r.lastEventMs));
    const seconds = (last - started) / 1000;
    const ms = (p: number): number => Math.round(histogram.getValueAtPercentile(p) / 10) / 100;
    return {
      target,
      watchers: o.watchers,
      puts: o.puts,
      putsPerSecond: Math.round(o.puts / (wroteMs / 1000)),
      events,
      expectedEvents: o.puts * o.watchers,
      canceled: reports.reduce((n, r) => n + r.canceled, 0),
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round(events / seconds),
      latencyMs: {
        p50: ms(50),
        p90: ms(90),
        p99: ms(99),
        max: Math.round(histogram.maxValue / 10) / 100,
        mean: Math.round(histogram.mean / 10) / 100,
      },
    };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    await cluster.stop();
  }
}

function format(r: Result): string {
  return (
    `${r.target.padEnd(6)} watchers=${r.watchers} puts=${r.puts} (${r.putsPerSecond}/s) ` +
    `events=${r.events}/${r.expectedEvents} canceled=${r.canceled} in ${r.seconds}s: ` +
    `${r.eventsPerSecond} events/s, latency ms p50=${r.latencyMs.p50} p90=${r.latencyMs.p90} ` +
    `p99=${r.latencyMs.p99} max=${r.latencyMs.max}`
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === "--worker") {
    const [, , , endpoints, count, offset, puts] = process.argv;
    await runWorker(endpoints!.split(","), Number(count), Number(offset), Number(puts));
    return;
  }
  const { values } = parseArgs({
    options: {
      target: { type: "string", default: "both" },
      watchers: { type: "string", default: "1000" },
      puts: { type: "string", default: "1000" },
      rate: { type: "string", default: "100" },
      inflight: { type: "string", default: "1" },
      workers: { type: "string", default: "2" },
      "value-bytes": { type: "string", default: "64" },
      json: { type: "boolean", default: false },
    },
  });
  const o: Options = {
    target: values.target as Options["target"],
    watchers: Number(values.watchers),
    puts: Number(values.puts),
    rate: Number(values.rate),
    inflight: Number(values.inflight),
    workers: Number(values.workers),
    valueBytes: Math.max(24, Number(values["value-bytes"])),
    json: values.json === true,
  };
  const targets: ("raftkv" | "etcd")[] = o.target === "both" ? ["raftkv", "etcd"] : [o.target];
  for (const target of targets) {
    const r = await measure(target, o);
    process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${format(r)}\n`);
  }
}

await main();
