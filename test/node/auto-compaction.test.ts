// Auto-compaction: parsing etcd's flags, and the pure policy under an injected clock.

import { describe, expect, it } from "vitest";
import {
  AutoCompactionPolicy,
  parseAutoCompaction,
  REVISION_CHECK_MS,
} from "../../src/node/auto-compaction.js";

describe("parseAutoCompaction", () => {
  it("reads etcd's retention forms", () => {
    expect(parseAutoCompaction("periodic", "1")).toEqual({ mode: "periodic", retention: 3_600_000 });
    expect(parseAutoCompaction("periodic", "0.5")).toEqual({ mode: "periodic", retention: 1_800_000 });
    expect(parseAutoCompaction("periodic", "1h30m")).toEqual({ mode: "periodic", retention: 5_400_000 });
    expect(parseAutoCompaction("periodic", "90s")).toEqual({ mode: "periodic", retention: 90_000 });
    expect(parseAutoCompaction("periodic", "0")).toEqual({ mode: "periodic", retention: 0 });
    expect(parseAutoCompaction("revision", "1000")).toEqual({ mode: "revision", retention: 1000 });
  });

  it("refuses nonsense", () => {
    expect(() => parseAutoCompaction("daily", "1")).toThrow("--auto-compaction-mode");
    expect(() => parseAutoCompaction("revision", "1h")).toThrow("--auto-compaction-retention");
    expect(() => parseAutoCompaction("periodic", "soon")).toThrow("--auto-compaction-retention");
  });
});

describe("AutoCompactionPolicy", () => {
  it("revision mode: current - retention, every 5 minutes, never backwards", () => {
    const p = new AutoCompactionPolicy({ mode: "revision", retention: 100 });
    expect(p.tick(0, 50, 0)).toBe(0); // not enough history
    expect(p.tick(1, 500, 0)).toBe(0); // checked less than 5 minutes ago
    expect(p.tick(REVISION_CHECK_MS, 500, 0)).toBe(400);
    expect(p.tick(2 * REVISION_CHECK_MS, 450, 400)).toBe(0); // 350 is behind the compacted revision
    expect(p.tick(3 * REVISION_CHECK_MS, 900, 400)).toBe(800);
  });

  it("periodic mode: compacts to the revision sampled `retention` ago, sampling every tenth", () => {
    const p = new AutoCompactionPolicy({ mode: "periodic", retention: 10_000 });
    expect(p.intervalMs).toBe(1000);
    const compactions: number[] = [];
    for (let t = 0; t <= 15_000; t += 1000) {
      const target = p.tick(t, 100 + t / 100, 0); // revision grows 10 per second
      if (target !== 0) compactions.push(target);
    }
    // At t = 10 s, the sample of t = 0 (revision 100) is 10 s old; then one per second after.
    expect(compactions).toEqual([100, 110, 120, 130, 140, 150]);
  });

  it("periodic mode samples at most hourly, and a reset forgets samples", () => {
    const p = new AutoCompactionPolicy({ mode: "periodic", retention: 24 * 3_600_000 });
    expect(p.intervalMs).toBe(3_600_000);
    p.tick(0, 10, 0);
    p.reset();
    expect(p.tick(24 * 3_600_000, 99, 0)).toBe(0);
  });
});
