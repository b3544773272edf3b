// `npm start` and `npm run cluster` as a user runs them: SIGTERM to npm reaches the server (the
// scripts exec it), which stops and frees its ports and its LevelDB LOCK; no tsc run when dist/
// is current; `raftkv dev --data-dir` is honoured (under npm and directly).

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Level } from "level";
import { afterAll, describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { CLI, freePort, waitFor } from "./harness.js";

const REPO = resolve(import.meta.dirname, "../..");

interface Proc {
  proc: ChildProcess;
  output: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const started: Proc[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const p of started) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
  await Promise.all(started.map((p) => p.exited));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function launch(command: string, args: readonly string[], cwd: string): Proc {
  const proc = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = {
    proc,
    output: "",
    exited: new Promise((r) => proc.once("exit", (code, signal) => r({ code, signal }))),
  };
  proc.stdout!.on("data", (b: Buffer) => (p.output += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (p.output += b.toString()));
  started.push(p);
  return p;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

/** A base port with base..base+22 free: `raftkv dev` puts node i on base+10i, +1, +2. */
async function freeBlock(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    const ports = Array.from({ length: nodes }, (_, i) => [0, 1, 2].map((d) => base + 10 * i + d)).flat();
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return base;
  }
  throw new Error("no free block of ports");
}

async function waitServing(endpoint: string, p: Proc): Promise<void> {
  const client = new EtcdClient([endpoint], { timeoutMs: 1000 });
  try {
    await waitFor(
      `${endpoint} to have a leader`,
      async () => {
        if (p.proc.exitCode !== null) throw new Error(`exited early:\n${p.output}`);
        return Number((await client.status()).leader) !== 0;
      },
      60_000,
      100,
    );
  } finally {
    client.close();
  }
}

/** SIGTERM to `p` (npm): resolves once it exited, within a deadline. */
async function terminate(p: Proc): Promise<{ code: number | null; signal: string | null }> {
  p.proc.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.exited,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`did not exit on SIGTERM:\n${p.output}`)), 30_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the LevelDB at `dir` (fails while a process still holds its LOCK). */
async function lockFree(dir: string): Promise<boolean> {
  const db = new Level(join(dir, "db"), { createIfMissing: false });
  try {
    await db.open();
    return true;
  } catch {
    return false;
  } finally {
    await db.close().catch(() => {});
  }
}

describe("npm scripts pass signals on", () => {
  it("npm start: SIGTERM to npm stops the server, which frees its ports and its LOCK; no rebuild", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raftkv-npm-start-"));
    dirs.push(dir);
    const [client, peer, metrics] = [await freePort(), await freePort(), await freePort()];
    const p = launch(
      "npm",
      [
        "start",
        "--",
        "--data-dir",
        join(dir, "data"),
        "--listen-client",
        `127.0.0.1:${client}`,
        "--listen-peer",
        `127.0.0.1:${peer}`,
        "--listen-metrics",
        `127.0.0.1:${metrics}`,
        "--log-format",
        "json",
      ],
      REPO,
    );
    await waitServing(`127.0.0.1:${client}`, p);
    expect(p.output).not.toContain("raftkv: building");
    const { code } = await terminate(p);
    expect(p.output).toContain('"signal":"SIGTERM"');
    expect(code, p.output).toBe(0);
    for (const port of [client, peer, metrics]) expect(await canListen(port), `port ${port}`).toBe(true);
    expect(await lockFree(join(dir, "data"))).toBe(true);
  });

  it("npm run cluster -- --base-port P --data-dir D: three nodes in D; SIGTERM to npm stops them all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raftkv-npm-cluster-"));
    dirs.push(dir);
    const base = await freeBlock(3);
    const devDefault = join(REPO, "raftkv-dev");
    const hadDefault = existsSync(devDefault);
    const p = launch("npm", ["run", "cluster", "--", "--base-port", String(base), "--data-dir", dir], REPO);
    for (let i = 0; i < 3; i++) await waitServing(`127.0.0.1:${base + 10 * i}`, p);
    for (const name of ["node1", "node2", "node3"]) {
      expect(existsSync(join(dir, name, "db", "CURRENT")), name).toBe(true);
    }
    expect(existsSync(devDefault)).toBe(hadDefault);
    const { code } = await terminate(p);
    expect(code, p.output).toBe(0);
    for (let i = 0; i < 3; i++) {
      for (const d of [0, 1, 2])
        expect(await canListen(base + 10 * i + d), `port ${base + 10 * i + d}`).toBe(true);
    }
    for (const name of ["node1", "node2", "node3"]) expect(await lockFree(join(dir, name))).toBe(true);
  });
});

describe("raftkv dev", () => {
  it("--data-dir is the nodes' parent dir, not ./raftkv-dev", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "raftkv-dev-cwd-"));
    dirs.push(cwd);
    const base = await freeBlock(1);
    const p = launch(
      process.execPath,
      [CLI, "dev", "--nodes", "1", "--base-port", String(base), "--data-dir", "elsewhere"],
      cwd,
    );
    await waitServing(`127.0.0.1:${base}`, p);
    expect(existsSync(join(cwd, "elsewhere", "node1", "db", "CURRENT"))).toBe(true);
    expect(existsSync(join(cwd, "raftkv-dev"))).toBe(false);
    const { code } = await terminate(p);
    expect(code, p.output).toBe(0);
  });
});
