// The load generator behind `raftkv bench` / `npm run bench`: N clients over M gRPC connections
// issue put, range (linearizable or serializable) or txn against any etcd v3 endpoints — so the
// same command measures raftkv and etcd. Prints throughput and latency percentiles.

import * as hdr from "hdr-histogram-js";
import { cmp, EtcdClient, op } from "../src/client/index.js";

export interface BenchOptions {
  endpoints: string[];
  op: "put" | "range" | "txn";
  clients: number;
  conns: number;
  total: number;
  durationS: number | null;
  keySize: number;
  valSize: number;
  keySpace: number;
  consistency: "l" | "s";
}

export interface BenchResult {
  op: string;
  clients: number;
  conns: number;
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

function keyOf(i: number, size: number): string {
  const s = i.toString(36);
  return s.length >= size ? s.slice(-size) : "k".repeat(size - s.length) + s;
}

export async function bench(o: BenchOptions): Promise<BenchResult> {
  const conns = Array.from({ length: o.conns }, (_, i) => {
    const endpoints = [
      ...o.endpoints.slice(i % o.endpoints.length),
      ...o.endpoints.slice(0, i % o.endpoints.length),
    ];
    return new EtcdClient(endpoints, {
      timeoutMs: 10_000,
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    });
  });
  const value = Buffer.alloc(o.valSize, 0x61);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  if (o.op === "range") {
    // Something to read.
    await Promise.all(
      Array.from({ length: Math.min(o.keySpace, 1000) }, (_, i) =>
        conns[i % conns.length]!.put(keyOf(i, o.keySize), value),
      ),
    );
  }
  let issued = 0;
  let done = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = o.durationS === null ? Number.POSITIVE_INFINITY : start + o.durationS * 1000;
  const more = (): boolean => (o.durationS === null ? issued < o.total : performance.now() < deadline);
  let seq = 0;
  const one = async (client: EtcdClient): Promise<void> => {
    const k = keyOf((seq++ * 7919) % o.keySpace, o.keySize);
    switch (o.op) {
      case "put":
        await client.put(k, value);
        return;
      case "range":
        await client.get(keyOf(seq % Math.min(o.keySpace, 1000), o.keySize), {
          serializable: o.consistency === "s",
        });
        return;
      case "txn":
        await client.txn({ compare: [cmp.version(k, ">", -1)], success: [op.put(k, value)], failure: [] });
        return;
    }
  };
  const worker = async (w: number): Promise<void> => {
    const client = conns[w % conns.length]!;
    while (more()) {
      issued++;
      const t0 = performance.now();
      try {
        await one(client);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      } catch {
        errors++;
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  for (const c of conns) c.close();
  const us = (p: number): number => Math.round(histogram.getValueAtPercentile(p)) / 1000;
  return {
    op: o.op === "range" ? `range-${o.consistency === "s" ? "serializable" : "linearizable"}` : o.op,
    clients: o.clients,
    conns: o.conns,
    requests: done,
    errors,
    seconds: Math.round(seconds * 1000) / 1000,
    throughput: Math.round((done - errors) / seconds),
    latencyMs: {
      p50: us(50),
      p90: us(90),
      p99: us(99),
      p999: us(99.9),
      max: Math.round(histogram.maxValue) / 1000,
      mean: Math.round(histogram.mean) / 1000,
    },
  };
}

export function formatResult(r: BenchResult): string {
  const l = r.latencyMs;
  return (
    `${r.op}: ${r.requests} requests (${r.errors} errors) in ${r.seconds}s with ${r.clients} clients / ${r.conns} conns\n` +
    `  throughput ${r.throughput} req/s\n` +
    `  latency ms  p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}  mean ${l.mean}`
  );
}
