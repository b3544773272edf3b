import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One file at a time: many files start real 3- and 5-node clusters whose timing assertions
    // (a new leader within 3 s, ...) must not compete for this 2-core machine with each other.
    fileParallelism: false,
    // The JSON report feeds the "N passed, N failed" line of .ci/run.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest/results.json" },
  },
});
