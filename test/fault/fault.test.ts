// The short fault run of `npm test`: 3 real raftkv processes behind loopback fault proxies,
// 16 clients on 5 keys, about 60 s of seeded faults (kills, pauses, partitions, one-way cuts,
// slow links, leader transfers), then recovery, convergence, the store's history and
// linearizability are checked. The seed is printed; RAFTKV_FAULT_SEED replays one and
// RAFTKV_FAULT_TIME_S changes the length. The long run is `npm run jepsen` (bench/jepsen.ts).

import { describe, expect, it } from "vitest";
import { runFaultTest, SHORT_RUN } from "./run.js";

const seed = process.env.RAFTKV_FAULT_SEED
  ? Number(process.env.RAFTKV_FAULT_SEED)
  : Math.floor(Math.random() * 2 ** 32);
const timeMs = Number(process.env.RAFTKV_FAULT_TIME_S ?? 60) * 1000;

describe("fault run (real processes, seeded nemesis, linearizability)", () => {
  it(`survives ${timeMs / 1000} s of faults with seed ${seed}`, { timeout: timeMs + 240_000 }, async () => {
    // One block at the end (vitest prefixes every console.log with a header line).
    const lines: string[] = [];
    const result = await runFaultTest({ ...SHORT_RUN, seed, timeMs, log: (l) => lines.push(l) });
    console.log(lines.join("\n"));
    if (!result.ok) console.error(`replay with RAFTKV_FAULT_SEED=${seed}; reports in ${result.dir}`);
    expect(result.failures).toEqual([]);
  });
});
