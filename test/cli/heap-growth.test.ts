// --heap-growth-percent: the values taken, and that it changes how far V8 lets the heap grow.
// The second part runs the same allocation pattern (a fixed live set, plus objects that live long
// enough to be promoted and then die) in child processes, with V8's own growing factor (0) and
// with 10 %, and compares the largest heap each one reached: with the fixed factor, full
// collections come sooner and the peak is far lower. It fails if applyHeapGrowth does nothing.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEAP_GROWTH_PERCENT,
  heapGrowthPercent,
  MAX_HEAP_GROWTH_PERCENT,
} from "../../src/cli/heap-growth.js";
import { ConfigError } from "../../src/node/config.js";

const MODULE = fileURLToPath(new URL("../../dist/src/cli/heap-growth.js", import.meta.url));

/** In a child process: applyHeapGrowth(percent), then churn; prints the peak used heap in bytes. */
function peakHeap(percent: number): Promise<number> {
  const script = `
    import { getHeapStatistics } from "node:v8";
    import { applyHeapGrowth } from ${JSON.stringify(MODULE)};
    applyHeapGrowth(${percent});
    const live = [];
    for (let i = 0; i < 200000; i++) live.push({ i, s: "k" + i });
    const ring = new Array(300000);
    let peak = 0;
    for (let i = 0; i < 2000000; i++) {
      ring[i % ring.length] = { i, a: [i, i + 1, i + 2], s: "v" + i };
      if (i % 10000 === 0) peak = Math.max(peak, getHeapStatistics().used_heap_size);
    }
    process.stdout.write(String(peak) + " " + live.length);
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--max-semi-space-size=16", "--input-type=module", "-e", script],
      { timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "" } },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(Number(stdout.split(" ")[0]));
      },
    );
  });
}

describe("--heap-growth-percent", () => {
  it("takes 0 to 1000 and refuses anything else, naming the flag", () => {
    expect(DEFAULT_HEAP_GROWTH_PERCENT).toBe(100);
    expect(heapGrowthPercent("0")).toBe(0);
    expect(heapGrowthPercent("50")).toBe(50);
    expect(heapGrowthPercent(String(MAX_HEAP_GROWTH_PERCENT))).toBe(1000);
    for (const bad of ["-1", "1001", "1.5", "fifty", "", " "]) {
      expect(() => heapGrowthPercent(bad), JSON.stringify(bad)).toThrow(ConfigError);
      expect(() => heapGrowthPercent(bad), JSON.stringify(bad)).toThrow(
        `--heap-growth-percent: "${bad}" is not a whole number from 0 to 1000`,
      );
    }
  });

  it("a fixed factor keeps the heap far below what V8's own factor lets it reach", async () => {
    const adaptive = await peakHeap(0);
    const fixed = await peakHeap(10);
    expect(adaptive).toBeGreaterThan(50 * 2 ** 20);
    expect(fixed).toBeLessThan(adaptive * 0.75);
  }, 60_000);
});
