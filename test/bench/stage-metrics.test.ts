// bench/timeline.ts reads a member's write-path metrics from its /metrics page: the parsers must
// read what src/node/timeline.ts exports (names, labels, sums and counts), or the bench would
// print NaN or another metric's figures.

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { stageMeansMs, writeCounts } from "../../bench/stage-metrics.js";
import { WriteTimeline } from "../../src/node/timeline.js";

describe("bench/stage-metrics", () => {
  it("reads the stage means, log writes and apply batches a WriteTimeline exports", async () => {
    const registry = new Registry();
    const t = new WriteTimeline(registry);
    // Two writes arrive at 0 ms and 10 ms; both persisted at 20, committed at 30, answered at 40.
    t.track(1, 0, 1);
    t.track(2, 10, 11);
    t.leaderPersisted(2, 20);
    t.committed(2, 30);
    t.applied(2, 35);
    t.answered(2, 40);
    t.logWritten(15, 20, 2);
    t.logWritten(30, 31, 3);
    t.applyDone(31, 35);
    const text = await registry.metrics();

    const means = stageMeansMs(text);
    expect(means.get("leader_persisted")).toEqual({ meanMs: 15, count: 2 });
    expect(means.get("answered")).toEqual({ meanMs: 35, count: 2 });
    expect(means.get("proposed")?.meanMs).toBeCloseTo(1, 6);
    expect(means.has("follower_acked")).toBe(false);
    expect(writeCounts(text)).toEqual({ logWrites: 2, logEntries: 5, applies: 1 });
  });
});
