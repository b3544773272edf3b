// Real raftkv processes on loopback for end-to-end tests: start, kill -9, SIGTERM, restart,
// and wait on conditions with deadlines (never sleeps to synchronise).

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { EtcdClient } from "../../src/client/index.js";
import { freePort } from "./ports.js";

export const CLI = resolve(import.meta.dirname, "../../dist/src/cli/main.js");

/** Tests restart nodes on the same ports: reconnect within a tick, not grpc-js's 1 s and more. */
export const FAST_RECONNECT = {
  "grpc.initial_reconnect_backoff_ms": 50,
  "grpc.min_reconnect_backoff_ms": 50,
  "grpc.max_reconnect_backoff_ms": 250,
} as const;

export { freePort };

/** Poll `cond` until it returns a truthy value or `timeoutMs` passes. */
type Falsy = null | undefined | false | 0 | "";

export async function waitFor<T>(
  what: string,
  cond: () => Promise<T | Falsy> | T | Falsy,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ProcNode {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
  readonly dataDir: string;
  proc: ChildProcess | null;
  output: string;
  exitCode: number | null;
  exitSignal: string | null;
}

export interface ClusterOptions {
  readonly size: number;
  readonly extraArgs?: readonly string[];
  readonly token?: string;
  /**
   * Called for each node before its first start, with the --peers value (e.g. to mount a file
   * system at its data dir, or restore a backup into it).
   */
  readonly prepare?: (node: ProcNode, peers: string) => void;
  /** The test's own clients use these (client TLS); default plain text. */
  readonly clientCredentials?: ChannelCredentials;
}

export class ProcCluster {
  readonly nodes: ProcNode[] = [];
  readonly root: string;
  readonly #extra: readonly string[];
  readonly #token: string;
  #credentials: ChannelCredentials | undefined;
  #peers = "";
  readonly #clients: EtcdClient[] = [];
  #unreap: () => void = () => undefined;

  /** name=host:port of every member, as given to --peers. */
  get peers(): string {
    return this.#peers;
  }

  private constructor(root: string, extra: readonly string[], token: string) {
    this.root = root;
    this.#extra = extra;
    this.#token = token;
  }

  /**
   * Starts `size` nodes and waits for a leader. Free ports are picked then released, so another
   * process may take one first: a start that fails on a port in use is tried again, once.
   */
  static async start(o: ClusterOptions): Promise<ProcCluster> {
    try {
      return await ProcCluster.#startOnce(o);
    } catch (err) {
      if (!/EADDRINUSE/.test((err as Error).message)) throw err;
      return await ProcCluster.#startOnce(o);
    }
  }

  static async #startOnce(o: ClusterOptions): Promise<ProcCluster> {
    const c = new ProcCluster(
      mkdtempSync(join(tmpdir(), "raftkv-test-")),
      o.extraArgs ?? [],
      o.token ?? "test",
    );
    c.#credentials = o.clientCredentials;
    // If the test process dies without its afterAll, its nodes die with it.
    const reap = (): void => {
      for (const n of c.nodes) n.proc?.kill("SIGKILL");
    };
    process.once("exit", reap);
    c.#unreap = () => process.off("exit", reap);
    try {
      for (let i = 0; i < o.size; i++) {
        const name = `n${i + 1}`;
        c.nodes.push({
          name,
          clientPort: await freePort(),
          peerPort: await freePort(),
          metricsPort: await freePort(),
          dataDir: join(c.root, name),
          proc: null,
          output: "",
          exitCode: null,
          exitSignal: null,
        });
      }
      c.#peers = c.nodes.map((n) => `${n.name}=127.0.0.1:${n.peerPort}`).join(",");
      for (const n of c.nodes) o.prepare?.(n, c.#peers);
      for (const n of c.nodes) c.spawn(n);
      await c.waitForLeader();
    } catch (err) {
      const report = c.nodes
        .map((n) => `--- ${n.name} (exit ${n.exitCode ?? n.exitSignal ?? "-"}):\n${n.output.slice(-1500)}`)
        .join("\n");
      await c.stop();
      throw new Error(`${(err as Error).message}\n${report}`);
    }
    return c;
  }

  args(n: ProcNode, extra: readonly string[] = []): string[] {
    return [
      CLI,
      "--name",
      n.name,
      "--data-dir",
      n.dataDir,
      "--listen-client",
      `127.0.0.1:${n.clientPort}`,
      "--listen-peer",
      `127.0.0.1:${n.peerPort}`,
      "--listen-metrics",
      `127.0.0.1:${n.metricsPort}`,
      "--peers",
      this.#peers,
      "--cluster-token",
      this.#token,
      "--log-format",
      "json",
      ...this.#extra,
      ...extra,
    ];
  }

  spawn(n: ProcNode, extra: readonly string[] = []): void {
    this.spawnWith(n, this.args(n, extra));
  }

  /** Starts the node with exactly these arguments (CLI first) and environment additions. */
  spawnWith(n: ProcNode, args: readonly string[], env: NodeJS.ProcessEnv = {}): void {
    const proc = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    n.proc = proc;
    n.exitCode = null;
    n.exitSignal = null;
    const append = (b: Buffer): void => {
      n.output += b.toString();
      if (n.output.length > 2_000_000) n.output = n.output.slice(-1_000_000);
    };
    proc.stdout!.on("data", append);
    proc.stderr!.on("data", append);
    proc.on("exit", (code, signal) => {
      n.exitCode = code;
      n.exitSignal = signal;
      if (n.proc === proc) n.proc = null;
    });
  }

  endpoint(n: ProcNode): string {
    return `127.0.0.1:${n.clientPort}`;
  }

  endpoints(): string[] {
    return this.nodes.map((n) => this.endpoint(n));
  }

  client(nodes: readonly ProcNode[] = this.nodes, timeoutMs = 5000): EtcdClient {
    const c = new EtcdClient(
      nodes.map((n) => this.endpoint(n)),
      { timeoutMs, channelOptions: FAST_RECONNECT, credentials: this.#credentials },
    );
    this.#clients.push(c);
    return c;
  }

  /** The node every live node agrees is leader. */
  async waitForLeader(timeoutMs = 15_000): Promise<ProcNode> {
    // One client per node for the whole wait: a fresh channel per poll is slow on a busy machine.
    const clients = new Map<ProcNode, EtcdClient>();
    const clientOf = (n: ProcNode): EtcdClient => {
      let c = clients.get(n);
      if (c === undefined) {
        c = new EtcdClient([this.endpoint(n)], {
          timeoutMs: 1000,
          channelOptions: FAST_RECONNECT,
          credentials: this.#credentials,
        });
        clients.set(n, c);
      }
      return c;
    };
    try {
      return await waitFor<ProcNode>(
        "a leader",
        async () => {
          const live = this.nodes.filter((n) => n.proc !== null);
          const leaders = new Set<number>();
          const idOf = new Map<number, ProcNode>();
          for (const n of live) {
            const s = await clientOf(n).status();
            if (Number(s.leader) === 0) return null;
            leaders.add(Number(s.leader));
            idOf.set(Number(s.header?.memberId ?? 0), n);
          }
          if (leaders.size !== 1) return null;
          return idOf.get([...leaders][0]!) ?? null;
        },
        timeoutMs,
        50,
      );
    } finally {
      for (const c of clients.values()) c.close();
    }
  }

  async kill(n: ProcNode, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = n.proc;
    if (p === null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    await exited;
  }

  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  async waitForExit(n: ProcNode, timeoutMs = 10_000): Promise<number | null> {
    const p = n.proc;
    if (p !== null) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          new Promise((r) => p.once("exit", r)),
          new Promise((_, rej) => {
            timer = setTimeout(
              () => rej(new Error(`${n.name} did not exit within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    }
    return n.exitCode;
  }

  /** Waits until the node's output (stdout and stderr) matches `re`; returns the match. */
  async waitForOutput(n: ProcNode, re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    try {
      return await waitFor(`${n.name} to log ${re}`, () => re.exec(n.output), timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; ${n.name}'s last output:\n${n.output.slice(-3000)}`);
    }
  }

  /** The member ID a node reports in its response headers. */
  async memberId(n: ProcNode): Promise<number> {
    const c = new EtcdClient([this.endpoint(n)], { timeoutMs: 2000 });
    try {
      return Number((await c.status()).header?.memberId ?? 0);
    } finally {
      c.close();
    }
  }

  /** The last lines each node printed (for a failed test's report), the noise left out. */
  tails(lines = 25): string {
    return this.nodes
      .map((n) => {
        const kept = n.output
          .split("\n")
          .filter((l) => l.length > 0 && !l.startsWith("readies "))
          .slice(-lines)
          .map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l));
        return `--- ${n.name} (${n.proc === null ? `exited ${n.exitCode ?? n.exitSignal}` : "running"}):\n${kept.join("\n")}`;
      })
      .join("\n");
  }

  /** Every node's process is killed (SIGKILL), every client closed, the temp dir removed. */
  async stop(): Promise<void> {
    for (const c of this.#clients) c.close();
    await Promise.all(this.nodes.map((n) => this.kill(n, "SIGKILL")));
    this.#unreap();
    rmSync(this.root, { recursive: true, force: true });
  }
}
