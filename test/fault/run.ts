// One fault run, start to finish: a cluster of real raftkv processes, concurrent clients, the
// nemesis on a seeded schedule, then the checks — recovery, convergence, the store's history
// against the clients' acknowledgements, and linearizability of every key. Used by the vitest
// file (short) and by bench/jepsen.ts (long).

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EtcdClient } from "../../src/client/index.js";
import { auditStore, readStoreHistory, waitForConvergence, waitForRecovery } from "./audit.js";
import { FaultCluster, type FaultNode, freePort, waitFor } from "./cluster.js";
import { describeOp, HistoryRecorder, type Operation } from "./history.js";
import { type CheckResult, checkHistoryAsync } from "./linearizability.js";
import { describeFault, FAULT_KINDS, type FaultKind, makeSchedule, Nemesis } from "./nemesis.js";
import type { FaultNet } from "./net.js";
import { NamespaceNet } from "./netns.js";
import { Prng } from "./prng.js";
import { LoopbackProxyNet } from "./proxy.js";
import { checkWitness, type WitnessResult } from "./witness.js";
import { Workload } from "./workload.js";

export interface FaultRunOptions {
  readonly seed: number;
  /** How long the nemesis runs. */
  readonly timeMs: number;
  readonly nodes: number;
  readonly clients: number;
  readonly keys: number;
  /** proxy: loopback TCP proxies (always works); netns: namespaces (root); auto: netns if it works. */
  readonly net: "proxy" | "netns" | "auto";
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly requestTimeoutMs: number;
  readonly clientTimeoutMs: number;
  readonly thinkMs: number;
  readonly snapshotCount: number;
  /**
   * Entries kept behind a snapshot for slow followers. Small values make lagging followers install
   * snapshots; default: 500 over namespaces, 50 000 over proxies (see the caveat in proxy.ts).
   */
  readonly snapshotCatchUpEntries?: number;
  /** Bound on the time from the end of the faults until every node serves again. */
  readonly recoveryBoundMs: number;
  /** Fault kinds to draw from (default: all); [] runs the workload without faults (a control). */
  readonly faults?: readonly FaultKind[];
  /** Bound on the time until every node reports the same HashKV. */
  readonly convergeBoundMs: number;
  /** Where reports go (a fresh directory under the OS temp dir by default). */
  readonly outDir?: string;
  /** Keep data dirs and logs after a passing run too. */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

export const SHORT_RUN: Omit<FaultRunOptions, "seed"> = {
  timeMs: 60_000,
  nodes: 3,
  clients: 16,
  keys: 5,
  net: "proxy",
  tickMs: 50,
  electionTicks: 10,
  requestTimeoutMs: 2000,
  clientTimeoutMs: 2500,
  thinkMs: 10,
  snapshotCount: 2000,
  recoveryBoundMs: 20_000,
  convergeBoundMs: 30_000,
};

export interface FaultRunResult {
  readonly ok: boolean;
  /** Every failed check, one line each (details in the report files). */
  readonly failures: string[];
  readonly dir: string;
  readonly summary: Record<string, unknown>;
}

const PREFIX = "jepsen/";
const PROBE_KEY = "fault-probe";

async function makeNet(o: FaultRunOptions, names: string[], log: (l: string) => void): Promise<FaultNet> {
  if (o.net !== "proxy") {
    const why = await NamespaceNet.unavailable();
    if (why === null) return NamespaceNet.start(names);
    if (o.net === "netns") throw new Error(`--net netns: ${why}`);
    log(`network namespaces unavailable (${why}); using loopback proxies`);
  }
  const ports = [];
  for (let i = 0; i < names.length; i++)
    ports.push({ client: await freePort(), peer: await freePort(), metrics: await freePort() });
  return LoopbackProxyNet.start(names, ports);
}

export async function runFaultTest(o: FaultRunOptions): Promise<FaultRunResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const dir = o.outDir ?? join(tmpdir(), `raftkv-fault-${o.seed}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const rng = new Prng(o.seed);
  const names = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
  const keys = Array.from({ length: o.keys }, (_, i) => `${PREFIX}k${i}`);
  const failures: string[] = [];
  const summary: Record<string, unknown> = { seed: o.seed, options: { ...o, log: undefined } };

  const net = await makeNet(o, names, log);
  const cluster = new FaultCluster(
    net,
    join(dir, "data"),
    {
      tickMs: o.tickMs,
      electionTicks: o.electionTicks,
      requestTimeoutMs: o.requestTimeoutMs,
      snapshotCount: o.snapshotCount,
      snapshotCatchUpEntries: o.snapshotCatchUpEntries ?? (net.kind === "netns" ? 500 : 50_000),
    },
    `fault-${o.seed}`,
  );
  cluster.onUnexpectedExit = (n, how) =>
    log(`!! ${n.name} exited on its own (${how}); its log: ${cluster.logPath(n)}`);
  const clients: EtcdClient[] = [];
  const clientOf = (n: FaultNode, timeoutMs: number): EtcdClient => {
    const c = cluster.client(n, timeoutMs);
    clients.push(c);
    return c;
  };
  let ok = false;
  try {
    const schedule = makeSchedule(rng.fork("nemesis"), {
      timeMs: o.timeMs,
      nodeCount: o.nodes,
      electionTimeoutMs: o.tickMs * o.electionTicks,
      canDelay: net.canDelay,
      kinds: o.faults,
    });
    log(
      `fault run: seed ${o.seed}, ${o.nodes} nodes, ${o.clients} clients, ${o.keys} keys, ` +
        `${(o.timeMs / 1000).toFixed(0)} s of faults, network: ${net.kind}, election timeout ${o.tickMs * o.electionTicks} ms`,
    );
    log(`output: ${dir}`);
    log(`schedule (${schedule.length} faults):`);
    for (const f of schedule) log(`  ${describeFault(f, names)}`);
    writeFileSync(join(dir, "schedule.txt"), schedule.map((f) => describeFault(f, names)).join("\n") + "\n");

    for (const n of cluster.nodes) cluster.start(n);
    const first = await cluster.waitForLeader(30_000);
    log(`cluster up; leader ${first.name}`);

    const history = new HistoryRecorder();
    const perWorker = new Map<string, EtcdClient>();
    const workload = new Workload(
      {
        clients: o.clients,
        keys,
        nodeCount: o.nodes,
        thinkMs: o.thinkMs,
        nodeName: (i) => names[i]!,
        checkHeader: (i, h) => cluster.checkHeader(cluster.nodes[i]!, h),
        clientFor: (w, i) => {
          const k = `${w}/${i}`;
          let c = perWorker.get(k);
          if (c === undefined) {
            c = clientOf(cluster.nodes[i]!, o.clientTimeoutMs);
            perWorker.set(k, c);
          }
          return c;
        },
      },
      history,
      rng.fork("workload"),
    );
    const nemesis = new Nemesis(cluster, schedule, log, () => history.now());
    const started = Date.now();
    workload.start();
    await nemesis.run(history.now());
    const rest = o.timeMs - (Date.now() - started);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest)); // the timeline's quiet tail
    await nemesis.healAll();
    const faultsEndedAt = history.now();
    log(`faults over at t=${(faultsEndedAt / 1000).toFixed(1)}s; all links healed, all nodes running`);

    // The cluster serves again: a write commits and every node serves a linearizable read.
    const checkers = new Map(cluster.nodes.map((n) => [n, clientOf(n, 2000)] as const));
    const recovery = await waitForRecovery(cluster, checkers, PROBE_KEY, o.recoveryBoundMs);
    summary.recoveryMs = recovery.ms;
    if (recovery.ok) log(`serving again ${recovery.ms} ms after the faults stopped`);
    else
      failures.push(
        `not serving within ${o.recoveryBoundMs} ms after the faults stopped: ${recovery.detail}`,
      );

    await workload.stop();
    log(`workload stopped at t=${(history.now() / 1000).toFixed(1)}s`);

    // Final reads of every key on every node, part of the history: an acknowledged write that
    // was lost shows up as a read the checker cannot linearize.
    await finalReads(history, cluster, checkers, keys, 20_000, failures);

    const conv = await waitForConvergence(cluster, checkers, o.convergeBoundMs);
    summary.convergence = conv;
    if (conv.ok)
      log(`converged: identical HashKV at revision ${conv.revision} on every node (${conv.ms} ms)`);
    else failures.push(`nodes did not converge within ${o.convergeBoundMs} ms: ${conv.detail}`);

    const ops = history.ops;
    writeFileSync(join(dir, "history.jsonl"), ops.map((op) => JSON.stringify(op)).join("\n") + "\n");

    // The store's own history against what clients were told.
    let neverApplied = new Set<number>();
    let witness: WitnessResult | null = null;
    if (conv.ok) {
      const t0 = Date.now();
      const histories = await Promise.all(
        cluster.nodes.map((n) => readStoreHistory(checkers.get(n)!, n.addr.clientEndpoint, PREFIX)),
      );
      const digests = new Set(histories.map((h) => h.digest));
      if (digests.size !== 1) {
        failures.push(
          `nodes hold different MVCC histories: ${cluster.nodes
            .map(
              (n, i) =>
                `${n.name} ${histories[i]!.revisions} revisions, sha256 ${histories[i]!.digest.slice(0, 12)}`,
            )
            .join("; ")}`,
        );
      }
      const events = histories[0]!.events;
      writeFileSync(join(dir, "store-history.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
      const audit = auditStore(ops, events);
      neverApplied = audit.neverApplied;
      summary.storeAudit = {
        revisions: conv.revision,
        events: audit.events,
        indeterminateApplied: audit.indeterminateApplied,
        indeterminateNotApplied: audit.neverApplied.size,
        ms: Date.now() - t0,
      };
      log(
        `store history: ${audit.events} writes in ${conv.revision} revisions, identical on ${digests.size === 1 ? "every node" : "NOT every node"} ` +
          `(${Date.now() - t0} ms); indeterminate writes applied ${audit.indeterminateApplied}, not applied ${audit.neverApplied.size}`,
      );
      for (const f of audit.failures) failures.push(`store history: ${f}`);
      witness = checkWitness(ops, events, audit.appliedAt);
      summary.witness = { ok: witness.ok, placed: witness.placed, problems: witness.problems.length };
      if (witness.ok)
        log(`revision witness: a valid linearization of all ${witness.placed} operations, by revision`);
      else {
        const file = join(dir, "revision-anomalies.txt");
        writeFileSync(file, witness.problems.join("\n") + "\n");
        failures.push(`revision anomalies (${witness.problems.length}): see ${file}`);
        log(`REVISION ANOMALIES — ${file}\n  ${witness.problems.slice(0, 5).join("\n  ")}`);
      }
    }

    // The search decides when there is no witness; with one, it cross-checks on a small budget.
    const t1 = Date.now();
    const proven = witness?.ok === true;
    const check = await checkHistoryAsync(ops, {
      neverApplied,
      ...(proven ? { maxStepsPerKey: 2_000_000, maxMemoEntriesPerKey: 500_000 } : {}),
    });
    summary.linearizability = {
      ms: Date.now() - t1,
      witness: proven,
      keys: check.keys.map((k) => ({ key: k.key, ops: k.ops, outcome: k.outcome, steps: k.steps })),
    };
    log(
      `linearizability search: ${check.keys.map((k) => `${k.key.slice(PREFIX.length)} ${k.outcome} (${k.ops} ops)`).join(", ")} ` +
        `in ${Date.now() - t1} ms${proven && check.unknownKeys.length > 0 ? " (undecided keys are proven by the witness)" : ""}`,
    );
    reportViolations(check, ops, dir, failures, log, proven);

    summarize(summary, workload, nemesis, cluster, ops);
    for (const n of cluster.nodes)
      if (n.unexpectedExits.length > 0)
        failures.push(`${n.name} exited on its own: ${n.unexpectedExits.join(", ")}`);
    ok = failures.length === 0;
    summary.ok = ok;
    summary.failures = failures;
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    printSummary(summary, log);
    return { ok, failures, dir, summary };
  } catch (err) {
    failures.push(`run aborted: ${(err as Error).stack ?? err}`);
    log(`RESULT: run aborted\n  ${failures.join("\n  ")}`);
    return { ok: false, failures, dir, summary };
  } finally {
    for (const c of clients) c.close();
    await cluster.close();
    if (ok && !o.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept for inspection: ${dir}`);
  }
}

async function finalReads(
  history: HistoryRecorder,
  cluster: FaultCluster,
  clients: ReadonlyMap<FaultNode, EtcdClient>,
  keys: readonly string[],
  timeoutMs: number,
  failures: string[],
): Promise<void> {
  for (const n of cluster.nodes) {
    const c = clients.get(n)!;
    if (n.state !== "up") {
      failures.push(`${n.name} is not running after the faults: no final reads from it`);
      continue;
    }
    for (const key of keys) {
      try {
        await waitFor(
          `a final read of ${key} on ${n.name}`,
          async () => {
            const op = history.invoke(1000 + n.index, key, { f: "get" }, n.name);
            try {
              const r = await c.get(key);
              cluster.checkHeader(n, r.header);
              const kv = r.kvs[0];
              history.ok(op, {
                f: "get",
                obs:
                  kv === undefined
                    ? { value: null, rev: 0 }
                    : { value: kv.value.toString(), rev: kv.modRevision },
                rev: r.header!.revision,
              });
              return true;
            } catch (err) {
              history.failed(op, (err as Error).message, false);
              return false;
            }
          },
          timeoutMs,
          100,
        );
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  }
}

function reportViolations(
  check: CheckResult,
  ops: readonly Operation[],
  dir: string,
  failures: string[],
  log: (l: string) => void,
  proven: boolean,
): void {
  for (const v of check.violations) {
    const file = join(dir, `violation-${v.key.replace(/[^a-z0-9]+/gi, "_")}.txt`);
    const keyOps = ops.filter((op) => op.key === v.key).sort((a, b) => a.invokeMs - b.invokeMs);
    writeFileSync(
      file,
      `${v.kind}\n\n${v.explanation}\n\nEvery operation on ${v.key}, by invocation time:\n` +
        keyOps.map((op) => describeOp(op)).join("\n") +
        "\n",
    );
    failures.push(
      `${v.kind} on ${v.key}: see ${file}${proven ? " (the revision witness disagrees: a checker bug?)" : ""}`,
    );
    log(`VIOLATION (${v.kind}) — ${file}\n${v.explanation}`);
  }
  if (proven) return; // the witness already proves every key
  for (const k of check.unknownKeys)
    failures.push(`linearizability of ${k} undecided: the search hit its step budget`);
}

function summarize(
  summary: Record<string, unknown>,
  workload: Workload,
  nemesis: Nemesis,
  cluster: FaultCluster,
  ops: readonly Operation[],
): void {
  summary.operations = {
    recorded: ops.length,
    ...workload.counters,
  };
  summary.faults = {
    ...nemesis.counters,
    kindsNotPlayed: FAULT_KINDS.filter((k) => !(k in nemesis.counters.byKind)),
  };
  summary.nodes = cluster.nodes.map((n) => ({ name: n.name, starts: n.starts }));
  summary.snapshotInstalls = Object.fromEntries(cluster.snapshotInstalls());
  summary.network = cluster.net.describe();
}

function printSummary(s: Record<string, unknown>, log: (l: string) => void): void {
  const ops = s.operations as Workload["counters"] & { recorded: number };
  const faults = s.faults as Nemesis["counters"] & { kindsNotPlayed: string[] };
  log(
    `operations: ${ops.ok} ok, ${ops.fail} failed, ${ops.info} indeterminate, ${ops.readsDropped} failed reads dropped; ` +
      Object.entries(ops.byKind)
        .map(([k, c]) => `${k} ${c.ok}/${c.fail}/${c.info}`)
        .join(", ") +
      ` (ok/failed/indeterminate); CAS succeeded ${ops.casSucceeded}, failed ${ops.casFailed}`,
  );
  log(
    `faults: ${Object.entries(faults.byKind)
      .map(([k, c]) => `${k} ×${c}`)
      .join(
        ", ",
      )}; processes killed ${faults.kills}, paused ${faults.pauses}, partitions ${faults.partitions}`,
  );
  log(`snapshot installs: ${JSON.stringify(s.snapshotInstalls)}; ${s.network}`);
  const failures = s.failures as string[];
  log(
    failures.length === 0
      ? "RESULT: OK"
      : `RESULT: ${failures.length} FAILURE(S)\n  ${failures.join("\n  ")}`,
  );
}
