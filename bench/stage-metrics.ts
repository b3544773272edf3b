// Reading a member's write-path metrics (src/node/timeline.ts) from its Prometheus text page:
// bench/timeline.ts prints them after a load.

const STAGES = ["proposed", "leader_persisted", "follower_acked", "committed", "applied", "answered"];

/** Mean per stage from a Prometheus text page (sum / count of each stage's histogram). */
export function stageMeansMs(text: string): Map<string, { meanMs: number; count: number }> {
  const out = new Map<string, { meanMs: number; count: number }>();
  for (const stage of STAGES) {
    const sum = new RegExp(`raftkv_write_stage_seconds_sum\\{stage="${stage}"\\} ([\\d.e+-]+)`).exec(text);
    const count = new RegExp(`raftkv_write_stage_seconds_count\\{stage="${stage}"\\} (\\d+)`).exec(text);
    if (sum === null || count === null) continue;
    const n = Number(count[1]);
    if (n > 0) out.set(stage, { meanMs: (Number(sum[1]) / n) * 1000, count: n });
  }
  return out;
}

/** Log writes, the entries they carried, and apply batches, from a Prometheus text page. */
export function writeCounts(text: string): { logWrites: number; logEntries: number; applies: number } {
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    logWrites: num(/^raftkv_log_write_entries_count (\d+)$/m),
    logEntries: num(/^raftkv_log_write_entries_sum (\d+)$/m),
    applies: num(/^raftkv_apply_seconds_count (\d+)$/m),
  };
}
