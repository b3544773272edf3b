// The seeded random simulation over a range of seeds (RAFTKV_SIM_SEEDS=a-b; see docs/sim.md).

import { afterAll, describe, it } from "vitest";
import { TARGETED_PROFILES, type TargetedProfile } from "./profile.js";
import { type RunResult, runSeed } from "./random-sim.js";
import { formatFailures, verboseTrace } from "./report.js";
import { chunks, parseSeedRange, plantedFromEnv, SEEDS_PER_YIELD, yieldToEventLoop } from "./seeds.js";

/** Sized so this file takes about a minute on the 2-core CI machine (see docs/sim.md). */
const DEFAULT_SEEDS = { first: 1, last: 5000 };
const CHUNK_SEEDS = 200;

const range = parseSeedRange(process.env.RAFTKV_SIM_SEEDS, DEFAULT_SEEDS);
const trace = verboseTrace();
// Replaying a planted-bug seed (see planted.test.ts): the run is expected to fail.
const plantedBugs = plantedFromEnv(process.env.RAFTKV_SIM_PLANT, [
  "commitPreviousTermByCount",
  "doubleVote",
  "readWithoutReadIndex",
  "readAckByContext",
  "ackBeforeDurable",
  "leaderCountsUndurable",
] as const);
const ruleChecks = process.env.RAFTKV_SIM_RULE_CHECKS !== "0";
// Replaying a seed found with a targeted profile (see profile.ts).
const profileName = process.env.RAFTKV_SIM_PROFILE ?? "";
if (profileName !== "" && !(profileName in TARGETED_PROFILES)) {
  throw new TypeError(
    `RAFTKV_SIM_PROFILE: unknown profile "${profileName}" (known: ${Object.keys(TARGETED_PROFILES).join(", ")})`,
  );
}
const profile = profileName === "" ? undefined : TARGETED_PROFILES[profileName as TargetedProfile];
const replayEnv = [
  process.env.RAFTKV_SIM_PLANT ? `RAFTKV_SIM_PLANT=${process.env.RAFTKV_SIM_PLANT}` : "",
  ruleChecks ? "" : "RAFTKV_SIM_RULE_CHECKS=0",
  profileName === "" ? "" : `RAFTKV_SIM_PROFILE=${profileName}`,
]
  .filter((x) => x !== "")
  .join(" ");
const totals = { seeds: 0, failures: 0, elapsedMs: 0 };

describe("raft random simulation", () => {
  for (const chunk of chunks(range, CHUNK_SEEDS)) {
    it(`seeds ${chunk.first}-${chunk.last}`, { timeout: 30 * 60_000 }, async () => {
      const started = performance.now();
      const failures: RunResult[] = [];
      for (let seed = chunk.first; seed <= chunk.last; seed++) {
        const result = runSeed(seed, { trace, plantedBugs, ruleChecks, profile });
        if (!result.ok) failures.push(result);
        if ((seed - chunk.first) % SEEDS_PER_YIELD === SEEDS_PER_YIELD - 1) await yieldToEventLoop();
      }
      totals.seeds += chunk.last - chunk.first + 1;
      totals.failures += failures.length;
      totals.elapsedMs += performance.now() - started;
      if (failures.length > 0) throw new Error(formatFailures(failures, replayEnv));
    });
  }

  afterAll(() => {
    const perThousand = totals.seeds === 0 ? 0 : (totals.elapsedMs / totals.seeds) * 1000;
    console.log(
      `raft sim: ${totals.seeds} seeds (${range.first}-${range.last}), ${totals.failures} failed, ` +
        `${(totals.elapsedMs / 1000).toFixed(1)} s (${(perThousand / 1000).toFixed(1)} s per 1000 seeds)`,
    );
  });
});
