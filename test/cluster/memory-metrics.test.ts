// A member's memory in /metrics (issue 13), from a real process: heap and RSS (prom-client's
// default metrics), the key index and the value cache with its bound from --value-cache-bytes /
// RAFTKV_VALUE_CACHE_BYTES (default 64 MiB), before and after a restart.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProcCluster, type ProcNode, waitFor } from "./harness.js";

const KEYS = 60;
const VALUE = "v".repeat(256);
const MIB = 1024 * 1024;

let cluster: ProcCluster;
let node: ProcNode;

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 1, token: "memory-metrics" });
  node = cluster.nodes[0]!;
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

/** The unlabelled series of the node's /metrics: name → value. */
async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function series(m: Map<string, number>, name: string): number {
  const v = m.get(name);
  expect(v, name).toBeDefined();
  expect(Number.isFinite(v), name).toBe(true);
  return v!;
}

/** The cache's series are consistent with each other and with its bound. */
function expectPlausibleCache(m: Map<string, number>, limitBytes: number): void {
  expect(series(m, "raftkv_value_cache_limit_bytes")).toBe(limitBytes);
  const bytes = series(m, "raftkv_value_cache_bytes");
  const entries = series(m, "raftkv_value_cache_entries");
  expect(bytes).toBeGreaterThanOrEqual(0);
  expect(bytes).toBeLessThanOrEqual(limitBytes);
  expect(Number.isInteger(entries) && entries >= 0).toBe(true);
  expect(entries).toBeLessThanOrEqual(series(m, "raftkv_kv_index_keys"));
  if (entries === 0) expect(bytes).toBe(0);
  for (const name of ["raftkv_value_cache_hits_total", "raftkv_value_cache_misses_total"]) {
    const v = series(m, name);
    expect(Number.isInteger(v) && v >= 0, name).toBe(true);
  }
}

describe("a member's memory in /metrics", () => {
  it("shows heap, RSS, the key index and the value cache with its default bound", async () => {
    const client = cluster.client([node]);
    for (let i = 0; i < KEYS; i++) await client.put(`mem/${String(i).padStart(3, "0")}`, VALUE);
    const got = await client.get("mem/", { prefix: true });
    expect(Number(got.count)).toBe(KEYS);
    for (let i = 0; i < KEYS; i += 7) await client.get(`mem/${String(i).padStart(3, "0")}`);

    const m = await scrape();
    expect(series(m, "process_resident_memory_bytes")).toBeGreaterThan(10 * MIB);
    expect(series(m, "nodejs_heap_size_used_bytes")).toBeGreaterThan(MIB);
    expect(series(m, "nodejs_heap_size_used_bytes")).toBeLessThanOrEqual(
      series(m, "nodejs_heap_size_total_bytes"),
    );
    expect(series(m, "raftkv_kv_index_keys")).toBeGreaterThanOrEqual(KEYS);
    expectPlausibleCache(m, 64 * MIB);
    // Every value read above was written moments before and fits the cache: the gets were hits.
    expect(series(m, "raftkv_value_cache_hits_total")).toBeGreaterThan(0);

    // Counters never go back between scrapes.
    await client.get(`mem/000`);
    const later = await scrape();
    for (const name of ["raftkv_value_cache_hits_total", "raftkv_value_cache_misses_total"]) {
      expect(series(later, name), name).toBeGreaterThanOrEqual(series(m, name));
    }
  });

  it("after a restart with RAFTKV_VALUE_CACHE_BYTES: the new bound, every key back in the index", async () => {
    await cluster.kill(node, "SIGTERM");
    expect(node.exitCode).toBe(0);
    cluster.spawnWith(node, cluster.args(node), { RAFTKV_VALUE_CACHE_BYTES: String(MIB) });
    await cluster.waitForLeader();
    const m = await waitFor("/metrics of the restarted member", () => scrape().catch(() => null), 15_000);
    expect(series(m, "raftkv_kv_index_keys")).toBeGreaterThanOrEqual(KEYS);
    expectPlausibleCache(m, MIB);
    const client = cluster.client([node]);
    expect((await client.get("mem/059")).kvs[0]?.value.toString()).toBe(VALUE);
    // The index came back from keys alone, so that value was read from LevelDB: a miss.
    expect(series(await scrape(), "raftkv_value_cache_misses_total")).toBeGreaterThan(0);
  });
});
