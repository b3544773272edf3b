// Formatting of simulation failures: each names the seed, the cluster size and the one command
// that replays it exactly.

import type { RunResult } from "./random-sim.js";
import { replayCommand } from "./seeds.js";

export function formatFailures(failures: readonly RunResult[], replayEnv = ""): string {
  const lines = [`Raft simulation failed for ${failures.length} seed(s):`];
  for (const r of failures.slice(0, 10)) {
    const f = r.failure;
    lines.push(
      `  seed ${r.seed} (${r.clusterSize} nodes) at time ${f?.atUnits ?? "?"}: ${f?.message ?? "?"}`,
      `    replay: ${replayCommand(r.seed, replayEnv)}`,
    );
  }
  if (failures.length > 10) lines.push(`  ... and ${failures.length - 10} more`);
  return lines.join("\n");
}

/** A trace sink for RAFTKV_SIM_VERBOSE=1 (written straight to stdout: traces are long). */
export function verboseTrace(): ((line: string) => void) | undefined {
  if (process.env.RAFTKV_SIM_VERBOSE !== "1") return undefined;
  return (line) => {
    process.stdout.write(`${line}\n`);
  };
}
