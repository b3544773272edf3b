// The load generator behind `raftkv bench` / `npm run bench`: N clients over M gRPC connections
// issue put, range (linearizable or serializable) or txn against any etcd v3 endpoints — so the
// same command measures raftkv and etcd. Prints throughput and latency percentiles.

import { Client, credentials, Metadata } from "@grpc/grpc-js";
import * as hdr from "hdr-histogram-js";
import { etcdRoot } from "../src/kv/proto.js";

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
  /** Updated as requests finish, for a progress display (read it on a timer). */
  progress?: BenchProgress;
}

export interface BenchProgress {
  done: number;
  errors: number;
}

export interface BenchResult {
  op: string;
  clients: number;
  conns: number;
  requests: number;
  errors: number;
  /** The first failed request's error ("14 UNAVAILABLE: …"); null when none failed. */
  firstError: string | null;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

function keyOf(i: number, size: number): string {
  const s = i.toString(36);
  return s.length >= size ? s.slice(-size) : "k".repeat(size - s.length) + s;
}

/** The path and pre-encoded request bytes of one benchmark call. */
interface Call {
  readonly path: string;
  readonly request: Buffer;
}

/**
 * Requests are encoded once, up front, and answers are not decoded: the load generator spends its
 * CPU on the wire, not on protobuf, so it can saturate a server on the same small machine (the
 * same client measures etcd, so the comparison stays fair).
 */
function prepareCalls(o: BenchOptions): Call[] {
  const root = etcdRoot();
  const Put = root.lookupType("etcdserverpb.PutRequest");
  const Range = root.lookupType("etcdserverpb.RangeRequest");
  const Txn = root.lookupType("etcdserverpb.TxnRequest");
  const value = Buffer.alloc(o.valSize, 0x61);
  const count = Math.min(o.keySpace, 4096);
  return Array.from({ length: count }, (_, i): Call => {
    const key = Buffer.from(keyOf((i * 7919) % o.keySpace, o.keySize));
    switch (o.op) {
      case "put":
        return { path: "/etcdserverpb.KV/Put", request: Buffer.from(Put.encode({ key, value }).finish()) };
      case "range":
        return {
          path: "/etcdserverpb.KV/Range",
          request: Buffer.from(Range.encode({ key, serializable: o.consistency === "s" }).finish()),
        };
      case "txn":
        return {
          path: "/etcdserverpb.KV/Txn",
          request: Buffer.from(
            Txn.encode({
              compare: [{ result: 2 /* LESS */, target: 0 /* VERSION */, key, version: 1_000_000_000 }],
              success: [{ requestPut: { key, value } }],
            }).finish(),
          ),
        };
    }
    throw new TypeError(`unknown op ${String(o.op)}`);
  });
}

function call(client: Client, c: Call, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      c.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      c.request,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

export async function bench(o: BenchOptions): Promise<BenchResult> {
  const clients = Array.from(
    { length: o.conns },
    (_, i) =>
      new Client(
        o.endpoints[i % o.endpoints.length]!.replace(/^[a-z]+:\/\//i, ""),
        credentials.createInsecure(),
        {
          // One HTTP/2 connection per client object.
          "grpc.use_local_subchannel_pool": 1,
          "grpc.max_receive_message_length": -1,
        },
      ),
  );
  const calls = prepareCalls(o);
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  if (o.op === "range") {
    // Something to read: the keys the range calls ask for.
    const filler = prepareCalls({ ...o, op: "put" });
    await Promise.all(filler.map((c, i) => call(clients[i % clients.length]!, c, 10_000)));
  }
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  const progress = o.progress ?? { done: 0, errors: 0 };
  const start = performance.now();
  const deadline = o.durationS === null ? Number.POSITIVE_INFINITY : start + o.durationS * 1000;
  const more = (): boolean => (o.durationS === null ? issued < o.total : performance.now() < deadline);
  const worker = async (w: number): Promise<void> => {
    const client = clients[w % clients.length]!;
    while (more()) {
      const c = calls[issued % calls.length]!;
      issued++;
      const t0 = performance.now();
      try {
        await call(client, c, 10_000);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      } catch (err) {
        errors++;
        progress.errors++;
        firstError ??= (err as Error).message;
      }
      done++;
      progress.done++;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  for (const c of clients) c.close();
  const ms = (p: number): number => Math.round(histogram.getValueAtPercentile(p)) / 1000;
  return {
    op: o.op === "range" ? `range-${o.consistency === "s" ? "serializable" : "linearizable"}` : o.op,
    clients: o.clients,
    conns: o.conns,
    requests: done,
    errors,
    firstError,
    seconds: Math.round(seconds * 1000) / 1000,
    throughput: Math.round((done - errors) / seconds),
    latencyMs: {
      p50: ms(50),
      p90: ms(90),
      p99: ms(99),
      p999: ms(99.9),
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
