// Real raftkv processes for fault runs: start, kill -9, SIGTERM, SIGSTOP/SIGCONT, restart, find
// the leader, and clean up everything (processes, network) on the way out — also when the test
// process itself is interrupted.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { EtcdClient } from "../../src/client/index.js";
import { clusterIdOf, memberIdOf } from "../../src/node/ids.js";
import type { FaultNet, NodeAddressing } from "./net.js";

/** The repository root: the nearest directory up from here with raftkv's package.json. */
function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && /"name":\s*"raftkv"/.test(readFileSync(pkg, "utf8"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no raftkv package.json above ${import.meta.dirname}`);
    dir = up;
  }
}

/** The raftkv CLI the nodes run: the build in dist/, or RAFTKV_FAULT_CLI (e.g. a private build). */
export const CLI = process.env.RAFTKV_FAULT_CLI
  ? resolve(process.env.RAFTKV_FAULT_CLI)
  : resolve(packageRoot(), "dist/src/cli/main.js");

export { freePort } from "../cluster/ports.js";

/** Polls `cond` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(
  what: string,
  cond: () => Promise<T> | T,
  timeoutMs: number,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? `: ${lastErr.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type NodeState = "up" | "down" | "paused";

/**
 * An answer from a server that is not the node asked: its port was taken over by another process
 * (another test's cluster) while the node was down. Never an answer about this cluster.
 */
export class ForeignServerError extends Error {
  constructor(node: string, header: { clusterId?: number; memberId?: number } | undefined) {
    super(
      `${node}'s address is served by another server (cluster ${header?.clusterId}, member ${header?.memberId})`,
    );
    this.name = "ForeignServerError";
  }
}

export interface FaultNode {
  readonly index: number;
  readonly name: string;
  readonly memberId: number;
  readonly addr: NodeAddressing;
  readonly dataDir: string;
  proc: ChildProcess | null;
  state: NodeState;
  starts: number;
  /** Exits nobody asked for (crashes), with their code or signal. */
  readonly unexpectedExits: string[];
}

export interface ClusterTimings {
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly requestTimeoutMs: number;
  readonly snapshotCount: number;
  readonly snapshotCatchUpEntries: number;
}

const live = new Set<FaultCluster>();
let exitHookInstalled = false;

/**
 * Last resort: a test process that exits (or is interrupted) takes its nodes and network along.
 * A signal's default action would skip "exit" handlers, so signals nobody else handles (the
 * runner handles its own) exit through process.exit.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.killAllSync();
  });
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(code));
  }
}

export class FaultCluster {
  readonly nodes: FaultNode[];
  readonly net: FaultNet;
  readonly root: string;
  readonly token: string;
  readonly clusterId: number;
  readonly timings: ClusterTimings;
  readonly #logs = new Map<string, WriteStream>();
  readonly #expectedExit = new Set<ChildProcess>();
  /** Called when a node exits without being asked to (a crash, or a failure to start). */
  onUnexpectedExit: (n: FaultNode, how: string) => void = () => {};

  constructor(net: FaultNet, root: string, timings: ClusterTimings, token: string) {
    this.net = net;
    this.root = root;
    this.timings = timings;
    this.token = token;
    this.clusterId = clusterIdOf(
      token,
      net.nodes.map((a) => a.name),
    );
    this.nodes = net.nodes.map((addr, index) => ({
      index,
      name: addr.name,
      memberId: memberIdOf(token, addr.name),
      addr,
      dataDir: join(root, addr.name),
      proc: null,
      state: "down" as NodeState,
      starts: 0,
      unexpectedExits: [],
    }));
    mkdirSync(root, { recursive: true });
    installExitHook();
    live.add(this);
  }

  get electionTimeoutMs(): number {
    return this.timings.tickMs * this.timings.electionTicks;
  }

  logPath(n: FaultNode): string {
    return join(this.root, `${n.name}.log`);
  }

  #args(n: FaultNode): string[] {
    const t = this.timings;
    return [
      ...n.addr.spawnPrefix,
      process.execPath,
      CLI,
      "--name",
      n.name,
      "--data-dir",
      n.dataDir,
      "--listen-client",
      n.addr.listenClient,
      "--listen-peer",
      n.addr.listenPeer,
      "--listen-metrics",
      n.addr.listenMetrics,
      "--peers",
      n.addr.peers,
      "--cluster-token",
      this.token,
      "--tick-ms",
      String(t.tickMs),
      "--election-ticks",
      String(t.electionTicks),
      "--request-timeout-ms",
      String(t.requestTimeoutMs),
      "--snapshot-count",
      String(t.snapshotCount),
      "--snapshot-catchup-entries",
      String(t.snapshotCatchUpEntries),
      "--log-format",
      "json",
    ];
  }

  start(n: FaultNode): void {
    if (n.proc !== null) throw new Error(`${n.name} is already running`);
    const [cmd, ...args] = this.#args(n);
    const proc = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = this.#logs.get(n.name);
    if (log === undefined) {
      log = createWriteStream(this.logPath(n), { flags: "a" });
      this.#logs.set(n.name, log);
    }
    const out = log;
    out.write(`{"fault":"start","pid":${proc.pid},"time":${Date.now()}}\n`);
    proc.stdout!.on("data", (b: Buffer) => out.write(b));
    proc.stderr!.on("data", (b: Buffer) => out.write(b));
    proc.on("exit", (code, signal) => {
      out.write(`{"fault":"exit","code":${code},"signal":"${signal}","time":${Date.now()}}\n`);
      if (!this.#expectedExit.delete(proc)) {
        n.unexpectedExits.push(signal ?? `code ${code}`);
        this.onUnexpectedExit(n, signal ?? `code ${code}`);
      }
      if (n.proc === proc) {
        n.proc = null;
        n.state = "down";
      }
    });
    n.proc = proc;
    n.state = "up";
    n.starts++;
  }

  /** Sends `signal` and waits for the exit (SIGCONT first, so a paused node can run its handler). */
  async stopNode(n: FaultNode, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const p = n.proc;
    if (p === null) return;
    this.#expectedExit.add(p);
    const exited = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    if (n.state === "paused") p.kill("SIGCONT");
    await exited;
  }

  pause(n: FaultNode): void {
    if (n.proc === null || n.state !== "up") return;
    n.proc.kill("SIGSTOP");
    n.state = "paused";
  }

  resume(n: FaultNode): void {
    if (n.proc === null || n.state !== "paused") return;
    n.proc.kill("SIGCONT");
    n.state = "up";
  }

  client(n: FaultNode, timeoutMs: number): EtcdClient {
    return new EtcdClient([n.addr.clientEndpoint], {
      timeoutMs,
      channelOptions: {
        "grpc.initial_reconnect_backoff_ms": 50,
        "grpc.min_reconnect_backoff_ms": 50,
        "grpc.max_reconnect_backoff_ms": 500,
      },
    });
  }

  /** Throws ForeignServerError unless `header` comes from node `n` of this cluster. */
  checkHeader(n: FaultNode, header: { clusterId?: number; memberId?: number } | null | undefined): void {
    if (header?.clusterId !== this.clusterId || header.memberId !== n.memberId)
      throw new ForeignServerError(n.name, header ?? undefined);
  }

  /**
   * The node that the running, unpaused nodes name as leader, when those that answer within
   * `timeoutMs` agree on one; null otherwise.
   */
  async leader(timeoutMs = 1000): Promise<FaultNode | null> {
    const up = this.nodes.filter((n) => n.state === "up");
    const named = await Promise.all(
      up.map(async (n) => {
        const c = this.client(n, timeoutMs);
        try {
          const st = await c.status();
          this.checkHeader(n, st.header);
          return Number(st.leader);
        } catch {
          return 0;
        } finally {
          c.close();
        }
      }),
    );
    const ids = new Set(named.filter((id) => id !== 0));
    if (ids.size !== 1) return null;
    const id = [...ids][0]!;
    const leader = this.nodes.find((n) => n.memberId === id) ?? null;
    return leader?.state === "up" ? leader : null;
  }

  async waitForLeader(timeoutMs: number): Promise<FaultNode> {
    return waitFor("a leader", () => this.leader(), timeoutMs, 100);
  }

  /** How many times each node's log says it installed a snapshot from the leader. */
  snapshotInstalls(): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of this.nodes) {
      let text = "";
      try {
        text = readFileSync(this.logPath(n), "utf8");
      } catch {}
      out.set(n.name, (text.match(/"msg":"installed snapshot"/g) ?? []).length);
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n, "SIGKILL")));
    await this.net.close();
    await Promise.all([...this.#logs.values()].map((s) => new Promise<void>((r) => s.end(() => r()))));
    this.#logs.clear();
    live.delete(this);
  }

  killAllSync(): void {
    for (const n of this.nodes) {
      try {
        n.proc?.kill("SIGKILL");
      } catch {}
    }
    this.net.closeSync();
  }
}
