// The clients of a fault run: concurrent workers doing random get / put / delete / CAS on a small
// key set, each recorded with its invoke and complete times.
//
// Each worker sticks to one node and moves to a random one after an error (and now and then
// anyway), so followers forward writes and serve ReadIndex reads as often as the leader.
// A CAS is a Txn: compare the value (or the mod revision) the worker last saw, then put; the
// failure branch reads the key, so a failed CAS is also a read.

import { status } from "@grpc/grpc-js";
import { cmp, type EtcdClient, EtcdClientError, op } from "../../src/client/index.js";
import type { KeyValue, ResponseHeader } from "../../src/kv/types.js";
import { ForeignServerError } from "./cluster.js";
import type { HistoryRecorder, KvInput, KvOutput, Observed } from "./history.js";
import type { Prng } from "./prng.js";

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  readonly nodeCount: number;
  /** A worker waits a random 0..2×thinkMs between operations (0: none). */
  readonly thinkMs: number;
  readonly clientFor: (worker: number, node: number) => EtcdClient;
  /** Throws unless a response header comes from that node of this cluster. */
  readonly checkHeader: (node: number, header: ResponseHeader | null | undefined) => void;
  readonly nodeName: (node: number) => string;
}

export interface WorkloadCounters {
  ok: number;
  fail: number;
  info: number;
  readsDropped: number;
  byKind: Record<string, { ok: number; fail: number; info: number }>;
  casSucceeded: number;
  casFailed: number;
  /** Answers from a server that was not the node asked (its port taken over while it was down). */
  foreign: number;
}

const NONE: Observed = { value: null, rev: 0 };

function observed(kv: KeyValue | null | undefined): Observed {
  return kv === undefined || kv === null ? NONE : { value: kv.value.toString(), rev: kv.modRevision };
}

/**
 * Errors that prove a write never took effect: the server refused it before proposing (no
 * leader, overloaded), or it never left this process (no connection).
 */
export function surelyNotApplied(err: unknown): boolean {
  if (!(err instanceof EtcdClientError)) return false;
  if (err.code === status.RESOURCE_EXHAUSTED) return true;
  if (err.code !== status.UNAVAILABLE) return false;
  if (err.details === "etcdserver: no leader") return true;
  return /No connection established|ECONNREFUSED|Failed to connect/i.test(err.details);
}

export function errorText(err: unknown): string {
  if (err instanceof EtcdClientError) return `${status[err.code]}: ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}

async function execute(
  client: EtcdClient,
  key: string,
  input: KvInput,
  check: (header: ResponseHeader | null | undefined) => void,
): Promise<KvOutput> {
  switch (input.f) {
    case "get": {
      const r = await client.get(key);
      check(r.header);
      return { f: "get", obs: observed(r.kvs[0]), rev: r.header!.revision };
    }
    case "put": {
      const r = await client.put(key, input.value, { prevKv: true });
      check(r.header);
      return { f: "put", rev: r.header!.revision, prev: observed(r.prevKv) };
    }
    case "delete": {
      const r = await client.delete(key, { prevKv: true });
      check(r.header);
      return { f: "delete", rev: r.header!.revision, deleted: r.deleted, prev: observed(r.prevKvs[0]) };
    }
    case "cas": {
      const compare =
        input.cmp === "value" ? cmp.value(key, "=", input.expect) : cmp.modRevision(key, "=", input.expect);
      const r = await client.txn({
        compare: [compare],
        success: [op.put(key, input.value)],
        failure: [op.get(key)],
      });
      check(r.header);
      const cur = r.succeeded ? null : observed(r.responses[0]?.responseRange?.kvs[0]);
      return { f: "cas", rev: r.header!.revision, succeeded: r.succeeded, cur };
    }
  }
}

export class Workload {
  readonly counters: WorkloadCounters = {
    ok: 0,
    fail: 0,
    info: 0,
    readsDropped: 0,
    byKind: {},
    casSucceeded: 0,
    casFailed: 0,
    foreign: 0,
  };
  readonly #o: WorkloadOptions;
  readonly #history: HistoryRecorder;
  readonly #rng: Prng;
  #stopping = false;
  #workers: Promise<void>[] = [];

  constructor(options: WorkloadOptions, history: HistoryRecorder, rng: Prng) {
    this.#o = options;
    this.#history = history;
    this.#rng = rng;
  }

  start(): void {
    for (let w = 0; w < this.#o.clients; w++)
      this.#workers.push(this.#worker(w, this.#rng.fork(`client ${w}`)));
  }

  /** Stops issuing operations and waits for those in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers);
  }

  #count(kind: string, outcome: "ok" | "fail" | "info"): void {
    this.counters[outcome]++;
    this.counters.byKind[kind] ??= { ok: 0, fail: 0, info: 0 };
    this.counters.byKind[kind][outcome]++;
  }

  /** A CAS mostly follows up on the key the worker saw last (read-modify-write), so some succeed. */
  #choose(rng: Prng, last: Map<string, Observed>, lastKey: string | null, value: string): [string, KvInput] {
    const kind = rng.weighted([
      ["get", 35],
      ["put", 25],
      ["delete", 8],
      ["cas-value", 16],
      ["cas-rev", 16],
    ] as const);
    const cas = kind === "cas-value" || kind === "cas-rev";
    const key = cas && lastKey !== null && rng.chance(0.8) ? lastKey : rng.pick(this.#o.keys);
    const seen = last.get(key);
    switch (kind) {
      case "get":
        return [key, { f: "get" }];
      case "put":
        return [key, { f: "put", value }];
      case "delete":
        return [key, { f: "delete" }];
      case "cas-value":
        return [
          key,
          seen?.value != null ? { f: "cas", cmp: "value", expect: seen.value, value } : { f: "get" },
        ];
      case "cas-rev":
        return [key, seen?.value != null ? { f: "cas", cmp: "rev", expect: seen.rev, value } : { f: "get" }];
    }
  }

  async #worker(w: number, rng: Prng): Promise<void> {
    const o = this.#o;
    let node = w % o.nodeCount;
    let seq = 0;
    const last = new Map<string, Observed>();
    let lastKey: string | null = null;
    while (!this.#stopping) {
      const [key, input] = this.#choose(rng, last, lastKey, `c${w}-${seq++}`);
      const kind = input.f === "cas" ? `cas-${input.cmp}` : input.f;
      const rec = this.#history.invoke(w, key, input, o.nodeName(node));
      try {
        const target = node;
        const out = await execute(o.clientFor(w, node), key, input, (h) => o.checkHeader(target, h));
        this.#history.ok(rec, out);
        this.#count(kind, "ok");
        lastKey = key;
        if (out.f === "get") last.set(key, out.obs);
        else if (out.f === "put") last.set(key, { value: (input as { value: string }).value, rev: out.rev });
        else if (out.f === "delete") last.set(key, NONE);
        else if (out.succeeded) {
          this.counters.casSucceeded++;
          last.set(key, { value: (input as { value: string }).value, rev: out.rev });
        } else {
          this.counters.casFailed++;
          if (out.cur !== null) last.set(key, out.cur);
        }
      } catch (err) {
        // A foreign server's answer: the request went to another cluster, never to ours.
        if (err instanceof ForeignServerError) this.counters.foreign++;
        const sure = err instanceof ForeignServerError || surelyNotApplied(err);
        this.#history.failed(rec, errorText(err), sure);
        if (input.f === "get") this.counters.readsDropped++;
        else this.#count(kind, sure ? "fail" : "info");
        node = rng.int(o.nodeCount);
      }
      if (rng.chance(0.05)) node = rng.int(o.nodeCount);
      if (o.thinkMs > 0) await new Promise((r) => setTimeout(r, rng.between(0, 2 * o.thinkMs)));
    }
  }
}
