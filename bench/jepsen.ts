// `npm run jepsen -- --time 600 --seed N`: the long fault run. Compiled by `npm run build` (with
// the harness in test/fault it imports) and run with plain node: no tsx, no vitest.
// Exits 0 when every check passed, 1 on any violation or failed check, 2 on bad arguments.
// Ctrl-C stops the run and still removes every process, proxy and namespace it started.

import { Command, InvalidArgumentError } from "commander";
import { FAULT_KINDS, type FaultKind } from "../test/fault/nemesis.js";
import { type FaultRunOptions, runFaultTest, SHORT_RUN } from "../test/fault/run.js";

function int(what: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer in [${min}, ${max}]`);
    return n;
  };
}

const program = new Command("jepsen")
  .description("fault-test a raftkv cluster of real processes and check linearizability")
  .option("--time <s>", "seconds of faults", int("--time", 1), 600)
  .option("--seed <n>", "seed of the whole run (default: random, printed)", int("--seed", 0, 2 ** 32 - 1))
  .option("--nodes <n>", "cluster size (3 or 5)", int("--nodes", 3, 7), 5)
  .option("--clients <n>", "concurrent clients", int("--clients", 1), 16)
  .option("--keys <n>", "keys the clients contend on", int("--keys", 1), 5)
  .option("--net <kind>", "proxy | netns | auto (netns when root and `ip netns` works)", "auto")
  .option(
    "--faults <kinds>",
    `comma-separated fault kinds, or "none" (default: all: ${FAULT_KINDS.join(", ")})`,
  )
  .option(
    "--think-ms <ms>",
    "mean pause between a client's operations",
    int("--think-ms", 0),
    SHORT_RUN.thinkMs,
  )
  .option("--tick-ms <ms>", "raft tick", int("--tick-ms", 1), SHORT_RUN.tickMs)
  .option(
    "--election-ticks <n>",
    "election timeout in ticks",
    int("--election-ticks", 2),
    SHORT_RUN.electionTicks,
  )
  .option("--snapshot-count <n>", "applied entries between snapshots", int("--snapshot-count", 1), 5000)
  .option(
    "--snapshot-catchup <n>",
    "entries kept behind a snapshot (default: 500 over netns, 50000 over proxies)",
    int("--snapshot-catchup", 1),
  )
  .option("--out <dir>", "where reports go (default: a new dir under the OS temp dir)")
  .option("--keep", "keep data dirs and logs after a passing run", false)
  .parse();

const o = program.opts<{
  time: number;
  seed?: number;
  nodes: number;
  clients: number;
  keys: number;
  net: string;
  thinkMs: number;
  tickMs: number;
  electionTicks: number;
  snapshotCount: number;
  snapshotCatchup?: number;
  out?: string;
  keep: boolean;
  faults?: string;
}>();
let faults: FaultKind[] | undefined;
if (o.faults !== undefined) {
  faults = o.faults === "none" ? [] : (o.faults.split(",").map((k) => k.trim()) as FaultKind[]);
  const unknown = faults.filter((k) => !FAULT_KINDS.includes(k));
  if (unknown.length > 0) {
    console.error(`--faults: unknown kind(s) ${unknown.join(", ")}; known: ${FAULT_KINDS.join(", ")}`);
    process.exit(2);
  }
}
if (!["proxy", "netns", "auto"].includes(o.net)) {
  console.error(`--net must be proxy, netns or auto, not ${JSON.stringify(o.net)}`);
  process.exit(2);
}
const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
const options: FaultRunOptions = {
  ...SHORT_RUN,
  seed,
  timeMs: o.time * 1000,
  nodes: o.nodes,
  clients: o.clients,
  keys: o.keys,
  net: o.net as FaultRunOptions["net"],
  thinkMs: o.thinkMs,
  tickMs: o.tickMs,
  electionTicks: o.electionTicks,
  snapshotCount: o.snapshotCount,
  snapshotCatchUpEntries: o.snapshotCatchup,
  recoveryBoundMs: 30_000,
  convergeBoundMs: 60_000,
  outDir: o.out,
  keep: o.keep,
  faults,
};
// An interrupt exits through process.exit, whose "exit" hook (test/fault/cluster.ts) kills the
// nodes and deletes the namespaces.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping; cleaning up`);
    process.exit(130);
  });
}
const t0 = Date.now();
const result = await runFaultTest(options);
const args = process.argv.slice(2).filter((a, k, all) => a !== "--seed" && all[k - 1] !== "--seed");
console.log(
  `wall time ${((Date.now() - t0) / 1000).toFixed(1)} s; replay: npm run jepsen -- ${[...args, "--seed", seed].join(" ")}`,
);
process.exit(result.ok ? 0 : 1);
