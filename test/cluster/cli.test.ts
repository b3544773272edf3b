// The `raftkv` command line as a user meets it: --help, bad flags (exit code 2 and a clear
// message), and refusing to run on a port already taken.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, freePort } from "./harness.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function raftkv(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 20_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("raftkv command line", () => {
  it("--help lists every server flag with its environment variable, and the sub-commands", async () => {
    const run = await raftkv(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--name",
      "--data-dir",
      "--listen-client",
      "--listen-peer",
      "--listen-metrics",
      "--advertise-client",
      "--advertise-peer",
      "--peers",
      "--cluster-token",
      "--tick-ms",
      "--election-ticks",
      "--heartbeat-ticks",
      "--request-timeout-ms",
      "--snapshot-count",
      "--max-request-bytes",
      "--log-level",
      "--log-format",
      "--value-cache-bytes",
      "--heap-growth-percent",
    ]) {
      expect(run.stdout, flag).toContain(flag);
    }
    for (const env of [
      "RAFTKV_NAME",
      "RAFTKV_DATA_DIR",
      "RAFTKV_PEERS",
      "RAFTKV_LISTEN_CLIENT",
      "RAFTKV_VALUE_CACHE_BYTES",
      "RAFTKV_HEAP_GROWTH_PERCENT",
    ]) {
      expect(run.stdout, env).toContain(env);
    }
    for (const sub of ["put", "get", "del", "txn", "members", "status", "dev", "bench"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${sub} `, "m"));
    }
  });

  it("an unknown flag exits with code 2 and names the flag", async () => {
    const run = await raftkv(["--bogus-flag"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--bogus-flag'");
    expect(run.stdout).toBe("");
  });

  it("a bad flag value exits with code 2 and says what is wrong", async () => {
    const cases: [string[], string][] = [
      [["--tick-ms", "fast"], '--tick-ms: "fast" is not a positive integer'],
      [["--listen-client", "nowhere"], '--listen-client: "nowhere" is not host:port'],
      [["--peers", "a=127.0.0.1:1,a=127.0.0.1:2"], 'member "a" is listed twice'],
      [["--name", "x", "--peers", "a=127.0.0.1:1"], '--peers does not list this member\'s --name "x"'],
      [["--log-level", "loud"], "Allowed choices are trace, debug, info, warn, error, fatal, silent"],
      [["--heartbeat-ticks", "10", "--election-ticks", "10"], "--heartbeat-ticks must be smaller"],
      [["--value-cache-bytes", "-1"], '--value-cache-bytes: "-1" is not a whole number (0 or more)'],
      [["--value-cache-bytes", "lots"], '--value-cache-bytes: "lots" is not a whole number (0 or more)'],
      [["--heap-growth-percent", "-5"], '--heap-growth-percent: "-5" is not a whole number from 0 to 1000'],
      [
        ["--heap-growth-percent", "1001"],
        '--heap-growth-percent: "1001" is not a whole number from 0 to 1000',
      ],
    ];
    for (const [args, message] of cases) {
      const dir = mkdtempSync(join(tmpdir(), "raftkv-cli-"));
      dirs.push(dir);
      const run = await raftkv([...args, "--data-dir", dir]);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr, args.join(" ")).toContain(message);
    }
    // Environment variables are checked the same way.
    const env = await raftkv(["--data-dir", join(tmpdir(), "raftkv-never")], { RAFTKV_TICK_MS: "-1" });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('--tick-ms: "-1" is not a positive integer');
    const cache = await raftkv(["--data-dir", join(tmpdir(), "raftkv-never")], {
      RAFTKV_VALUE_CACHE_BYTES: "1.5",
    });
    expect(cache.code).toBe(2);
    expect(cache.stderr).toContain('--value-cache-bytes: "1.5" is not a whole number (0 or more)');
  });

  it("a client port already in use: a clear error and a non-zero exit", async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), "raftkv-cli-"));
    dirs.push(dir);
    try {
      const peer = await freePort();
      const run = await raftkv([
        "--data-dir",
        dir,
        "--listen-client",
        `127.0.0.1:${port}`,
        "--listen-peer",
        `127.0.0.1:${peer}`,
        "--listen-metrics",
        "",
        "--log-format",
        "json",
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`127.0.0.1:${port}`);
      expect(run.stderr).toMatch(/EADDRINUSE|in use/);
    } finally {
      server.close();
    }
  });
});
