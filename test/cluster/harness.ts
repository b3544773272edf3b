// Real raftkv processes on loopback for end-to-end tests: start, kill -9, SIGTERM, restart,
// and wait on conditions with deadlines (never sleeps to synchronise).

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EtcdClient } from "../../src/client/index.js";

export const CLI = resolve(import.meta.dirname, "../../dist/src/cli/main.js");

/** A free TCP port on 127.0.0.1 (the OS picks; released before use). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** Poll `cond` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  cond: () => Promise<T> | T,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
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
}

export class ProcCluster {
  readonly nodes: ProcNode[] = [];
  readonly root: string;
  readonly #extra: readonly string[];
  readonly #token: string;
  #peers = "";
  readonly #clients: EtcdClient[] = [];

  private constructor(root: string, extra: readonly string[], token: string) {
    this.root = root;
    this.#extra = extra;
    this.#token = token;
  }

  static async start(o: ClusterOptions): Promise<ProcCluster> {
    const c = new ProcCluster(
      mkdtempSync(join(tmpdir(), "raftkv-test-")),
      o.extraArgs ?? [],
      o.token ?? "test",
    );
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
    for (const n of c.nodes) c.spawn(n);
    await c.waitForLeader();
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
    const proc = spawn(process.execPath, this.args(n, extra), { stdio: ["ignore", "pipe", "pipe"] });
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
      { timeoutMs },
    );
    this.#clients.push(c);
    return c;
  }

  /** The node every live node agrees is leader. */
  async waitForLeader(timeoutMs = 15_000): Promise<ProcNode> {
    return waitFor<ProcNode | null>(
      "a leader",
      async () => {
        const live = this.nodes.filter((n) => n.proc !== null);
        const leaders = new Set<number>();
        let idOf: Map<number, ProcNode> = new Map();
        for (const n of live) {
          const c = new EtcdClient([this.endpoint(n)], { timeoutMs: 1000 });
          try {
            const s = await c.status();
            if (Number(s.leader) === 0) return null;
            leaders.add(Number(s.leader));
            idOf = idOf.set(Number(s.header?.memberId ?? 0), n);
          } finally {
            c.close();
          }
        }
        if (leaders.size !== 1) return null;
        return idOf.get([...leaders][0]!) ?? null;
      },
      timeoutMs,
      50,
    ) as Promise<ProcNode>;
  }

  async kill(n: ProcNode, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = n.proc;
    if (p === null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    for (const c of this.#clients) c.close();
    await Promise.all(this.nodes.map((n) => this.kill(n, "SIGKILL")));
    rmSync(this.root, { recursive: true, force: true });
  }
}
