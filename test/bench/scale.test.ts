// The pure parts of bench/scale.ts and its shared helpers: the key layout must be etcd-benchmark's
// (Go's binary.PutVarint in a 16-byte buffer), or its puts would write new keys instead of
// overwriting loaded ones.

import { describe, expect, it } from "vitest";
import { memoryOf } from "../../bench/procs.js";
import { benchmarkKey, parseSize, sizeLabel } from "../../bench/scale-keys.js";
import { chartsSvg } from "../../bench/svg.js";

describe("bench/scale helpers", () => {
  it("writes keys as Go's binary.PutVarint (zigzag) at the start of 16 zero bytes", () => {
    const hex = (i: number) => benchmarkKey(i).toString("hex");
    expect(hex(0)).toBe("00".repeat(16));
    expect(hex(1)).toBe(`02${"00".repeat(15)}`);
    expect(hex(63)).toBe(`7e${"00".repeat(15)}`);
    expect(hex(64)).toBe(`8001${"00".repeat(14)}`);
    // 2 × 1280 = 2560 = 0x14 << 7: as etcd logged a loaded key ("\200\024\000...").
    expect(hex(1280)).toBe(`8014${"00".repeat(14)}`);
    expect(hex(5_000_000)).toBe(`80ade204${"00".repeat(12)}`);
    const seen = new Set(Array.from({ length: 20_000 }, (_, i) => hex(i)));
    expect(seen.size).toBe(20_000);
  });

  it("parses and prints sizes", () => {
    expect(["10000", "10k", "1M", "5M", "2.5k"].map(parseSize)).toEqual([10_000, 10_000, 1e6, 5e6, 2500]);
    expect(() => parseSize("ten")).toThrow(/not a key count/);
    expect(() => parseSize("0")).toThrow(/positive/);
    expect([2000, 10_000, 1_000_000, 5_000_000, 1234].map(sizeLabel)).toEqual([
      "2k",
      "10k",
      "1M",
      "5M",
      "1234",
    ]);
  });

  it("reads this process's memory from /proc, and zeros for a process that is gone", () => {
    const m = memoryOf(process.pid);
    expect(m.rssMiB).toBeGreaterThan(10);
    expect(m.anonMiB + m.fileMiB).toBeGreaterThanOrEqual(m.rssMiB - 1);
    expect(memoryOf(2 ** 30)).toEqual({ rssMiB: 0, anonMiB: 0, fileMiB: 0 });
  });

  it("draws one line per series, broken where a value is missing, with a title", () => {
    const svg = chartsSvg([
      { title: "a <b>", xLabels: ["1", "2", "3"], xTitle: "x", series: [{ name: "s", values: [1, 2, 3] }] },
      { title: "c", xLabels: ["1", "2", "3"], xTitle: "x", series: [{ name: "t", values: [1, null, 3] }] },
    ]);
    expect(svg).toContain("<title>a &lt;b&gt;; c</title>");
    expect(svg.match(/<polyline/g)?.length).toBe(1);
    expect(svg.match(/<circle/g)?.length).toBe(5);
    expect(svg).toContain('width="1280"');
  });
});
