// The memory series of /metrics (./src/node/memory-metrics.ts): read from the state machine at
// each scrape (not when registered), through the node's `kv`, so a later or replaced state
// machine is what is reported; hits and misses as counters that follow the cumulative counts.

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { KvMemoryStats } from "../../src/kv/index.js";
import { registerMemoryMetrics } from "../../src/node/memory-metrics.js";

/** `name value` lines of the exposition format, series without labels. */
function values(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+) (\S+)$/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function stats(s: Partial<KvMemoryStats>): KvMemoryStats {
  return { indexEntries: 0, cacheBytes: 0, cacheEntries: 0, cacheHits: 0, cacheMisses: 0, ...s };
}

describe("memory metrics", () => {
  it("reports the state machine's stats at scrape time, with counters typed as counters", async () => {
    const registry = new Registry();
    let current = stats({ indexEntries: 3, cacheBytes: 700, cacheEntries: 2, cacheHits: 5, cacheMisses: 1 });
    const node = { kv: { memoryStats: () => current } };
    registerMemoryMetrics(registry, node, 1 << 20);

    const first = await registry.metrics();
    expect(first).toContain("# TYPE raftkv_value_cache_hits_total counter");
    expect(first).toContain("# TYPE raftkv_value_cache_misses_total counter");
    expect(first).toContain("# TYPE raftkv_kv_index_keys gauge");
    expect(Object.fromEntries(values(first))).toEqual({
      raftkv_kv_index_keys: 3,
      raftkv_value_cache_bytes: 700,
      raftkv_value_cache_entries: 2,
      raftkv_value_cache_hits_total: 5,
      raftkv_value_cache_misses_total: 1,
      raftkv_value_cache_limit_bytes: 1048576,
    });

    // The next scrape sees the new counts: counters set to the cumulative value, not added to it.
    current = stats({ indexEntries: 10, cacheBytes: 900, cacheEntries: 3, cacheHits: 12, cacheMisses: 4 });
    const second = values(await registry.metrics());
    expect(second.get("raftkv_kv_index_keys")).toBe(10);
    expect(second.get("raftkv_value_cache_bytes")).toBe(900);
    expect(second.get("raftkv_value_cache_entries")).toBe(3);
    expect(second.get("raftkv_value_cache_hits_total")).toBe(12);
    expect(second.get("raftkv_value_cache_misses_total")).toBe(4);
    // Scraping again without change does not move the counters.
    const third = values(await registry.metrics());
    expect(third.get("raftkv_value_cache_hits_total")).toBe(12);
    expect(third.get("raftkv_value_cache_misses_total")).toBe(4);
  });

  it("reads the node's current state machine, not the one it had at registration", async () => {
    const registry = new Registry();
    const node = { kv: { memoryStats: () => stats({ indexEntries: 1 }) } };
    registerMemoryMetrics(registry, node, 0);
    node.kv = { memoryStats: () => stats({ indexEntries: 42, cacheHits: 7 }) };
    const v = values(await registry.metrics());
    expect(v.get("raftkv_kv_index_keys")).toBe(42);
    expect(v.get("raftkv_value_cache_hits_total")).toBe(7);
    expect(v.get("raftkv_value_cache_limit_bytes")).toBe(0);
  });
});
