// How far V8 lets the old generation grow past what the last full collection kept alive.
//
// After each full (mark-compact) collection V8 sets the next collection's trigger at the live
// size times a growing factor, which it picks between 1.1 and 4 from how fast the collector and
// the program run. Under a write load a member allocates quickly, so V8 picks a large factor and
// the heap fills with garbage: a leader after put-256 held 81 MiB of heap against 27-29 MiB live
// (docs/performance.md). A fixed factor of 2 bounds the heap at twice its live size, as Go's
// default GOGC=100 bounds etcd's. (1.5 held less on Node 20 but cost Node 24 10-20 % of its
// throughput; 2 cost neither runtime any.) The flag is read at each full collection, so setting it
// at start through `v8.setFlagsFromString` takes effect from the first one (NODE_OPTIONS does not
// take it).

import { setFlagsFromString } from "node:v8";
import { ConfigError } from "../node/config.js";

/** --heap-growth-percent's default: the trigger at twice the live size. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 100;
/** The largest value taken: V8's own factor tops out at 4 (300 %). */
export const MAX_HEAP_GROWTH_PERCENT = 1000;

/** The flag's value as a whole number of percent, 0 (V8's own adaptive factor) to 1000. */
export function heapGrowthPercent(value: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_HEAP_GROWTH_PERCENT)
    throw new ConfigError(
      `--heap-growth-percent: "${value}" is not a whole number from 0 to ${MAX_HEAP_GROWTH_PERCENT}`,
    );
  return n;
}

/** Sets V8's old-generation growing factor to 1 + percent/100 for this process; 0 gives V8's own back. */
export function applyHeapGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
