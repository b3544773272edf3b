// What the KV state machine holds in memory, in /metrics: the key index and the value cache in
// front of LevelDB (issue 13). Heap and RSS come from prom-client's default metrics
// (nodejs_heap_size_used_bytes, process_resident_memory_bytes), registered next to these in
// ./server.ts; together they show where a member's memory goes and whether the memory limit
// (README "Sizing memory") fits.
//
// Every series is read at scrape time from `source.kv.memoryStats()`: the state machine is looked
// up through the node at each scrape, never captured when the metrics are registered. The hit and miss
// counts are cumulative since the state machine opened: Counters whose value is set from them at
// each scrape (reset, then inc by the cumulative count), so rate() works as on any counter and the
// hit ratio is rate(hits) / (rate(hits) + rate(misses)).

import { Counter, Gauge, type Registry } from "prom-client";
import type { KvMemoryStats } from "../kv/index.js";

export interface MemoryStatsSource {
  readonly kv: { memoryStats(): KvMemoryStats };
}

/** Registers the raftkv_kv_index_* and raftkv_value_cache_* series; `limitBytes` is --value-cache-bytes. */
export function registerMemoryMetrics(
  registry: Registry,
  source: MemoryStatsSource,
  limitBytes: number,
): void {
  const gauge = (name: string, help: string, read: (s: KvMemoryStats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(source.kv.memoryStats()));
      },
    });
  };
  const counter = (name: string, help: string, read: (s: KvMemoryStats) => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(source.kv.memoryStats()));
      },
    });
  };
  gauge("raftkv_kv_index_keys", "Live keys in the in-memory key index.", (s) => s.indexEntries);
  gauge("raftkv_value_cache_bytes", "Bytes of values held in the value cache.", (s) => s.cacheBytes);
  gauge("raftkv_value_cache_entries", "Values held in the value cache.", (s) => s.cacheEntries);
  counter(
    "raftkv_value_cache_hits_total",
    "Value lookups answered from memory since the store opened.",
    (s) => s.cacheHits,
  );
  counter(
    "raftkv_value_cache_misses_total",
    "Value lookups that read LevelDB since the store opened.",
    (s) => s.cacheMisses,
  );
  new Gauge({
    name: "raftkv_value_cache_limit_bytes",
    help: "The bound of the value cache (--value-cache-bytes; 0: no cache).",
    registers: [registry],
  }).set(limitBytes);
}
