// The `raftkv` client commands as an operator meets them (issue 11): the README's examples run as
// written, tables with headers and -w json, values from stdin, bad flag values as usage errors,
// gRPC errors without grpc-js's dangling "Resolution note:", and `raftkv bench`'s progress line,
// first error, exit code and RAFTKV_ENDPOINTS.

import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLI, freePort, ProcCluster } from "./harness.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: Buffer,
): Promise<Run> {
  return new Promise((res) => {
    const child = execFile(
      file,
      args,
      { timeout: 60_000, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, encoding: "buffer" },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        res({ code, stdout: stdout.toString("latin1"), stderr: stderr.toString() });
      },
    );
    child.stdin!.end(input);
  });
}

const raftkv = (args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: Buffer): Promise<Run> =>
  exec(process.execPath, [CLI, ...args], env, input);

let cluster: ProcCluster;
let endpoints: string;
let bin: string;

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 3, token: "cli-client" });
  endpoints = cluster.endpoints().join(",");
  // `raftkv` on the PATH, as after `npm link`.
  bin = mkdtempSync(join(tmpdir(), "raftkv-bin-"));
  writeFileSync(join(bin, "raftkv"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, "raftkv"), 0o755);
});

afterAll(async () => {
  await cluster?.stop();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

/** The README's block of `raftkv` client examples, one shell line each (comments dropped). */
function readmeClientExamples(): string[] {
  const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
  const at = readme.indexOf("Without etcdctl, the `raftkv` command is a small client too");
  expect(at).toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#\s.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("npm "));
}

describe("the README's raftkv examples", () => {
  it("run as written, in order; the txn succeeds", async () => {
    const lines = readmeClientExamples();
    expect(lines.some((l) => l.includes("raftkv txn"))).toBe(true);
    const env = { PATH: `${bin}:${process.env.PATH}`, RAFTKV_ENDPOINTS: endpoints };
    const outputs = new Map<string, string>();
    for (const line of lines) {
      const command = line.replace("127.0.0.1:2379,127.0.0.1:2389,127.0.0.1:2399", endpoints);
      const run = await exec("sh", ["-c", command], env);
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      outputs.set(line, run.stdout);
    }
    const txn = [...outputs].find(([l]) => l.includes("raftkv txn"))![1];
    expect(txn).toBe("SUCCESS\nOK\n");
    expect(outputs.get("raftkv get k")).toBe("k\nv2\n");
    const status = [...outputs].find(([l]) => l.startsWith("raftkv status"))![1];
    expect(JSON.parse(status)).toHaveLength(3);
    const numbers = await raftkv(["get", "numbers", "--endpoints", endpoints]);
    const seq = spawnSync("seq", ["1", "100000"]).stdout.toString();
    expect(numbers.stdout).toBe(`numbers\n${seq}\n`);
  });

  it("the README names nothing outside the repository and no unexplained placeholder", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    expect(readme).not.toMatch(/\]\(\.\.\//);
    expect(readme).not.toContain("../shared");
    expect(readme).not.toContain("OWNER/REPO");
    expect(readme).toMatch(/npx raftkv|npm link/);
    // The first bare `raftkv` example comes after the sentence on npx / npm link.
    const firstBare = readme.search(/^raftkv /m);
    expect(readme.indexOf("npm link")).toBeLessThan(firstBare);
  });
});

describe("raftkv members and status", () => {
  it("print tables with headers, as etcdctl -w table; -w json for scripts", async () => {
    const members = await raftkv(["members", "--endpoints", endpoints]);
    expect(members.code, members.stderr).toBe(0);
    const mLines = members.stdout.trimEnd().split("\n");
    expect(mLines[0]).toMatch(/^\+-+\+/);
    expect(mLines[1]).toMatch(
      /^\|\s+ID\s+\|\s+STATUS\s+\|\s+NAME\s+\|\s+PEER ADDRS\s+\|\s+CLIENT ADDRS\s+\|\s+IS LEARNER\s+\|$/,
    );
    const rows = mLines.filter((l) => /^\| [0-9a-f]{16} \|/.test(l));
    expect(rows).toHaveLength(3);
    for (const n of cluster.nodes) {
      expect(
        rows.some((r) => r.includes(` ${n.name} `) && r.includes(`http://127.0.0.1:${n.peerPort}`)),
      ).toBe(true);
    }

    const status = await raftkv(["status", "--endpoints", endpoints]);
    expect(status.code, status.stderr).toBe(0);
    const sLines = status.stdout.trimEnd().split("\n");
    expect(sLines[1]).toMatch(/^\|\s+ENDPOINT\s+\|\s+ID\s+\|\s+VERSION\s+\|\s+DB SIZE\s+\|\s+IS LEADER\s+\|/);
    const sRows = sLines.filter((l) => l.startsWith("| 127.0.0.1:"));
    expect(sRows).toHaveLength(3);
    expect(sRows.filter((r) => /\| true +\| false +\|/.test(r))).toHaveLength(1);

    const mJson = await raftkv(["members", "-w", "json", "--endpoints", endpoints]);
    expect((JSON.parse(mJson.stdout) as { members: unknown[] }).members).toHaveLength(3);
    const sJson = await raftkv(["status", "-w", "json", "--endpoints", endpoints]);
    const parsed = JSON.parse(sJson.stdout) as { endpoint: string; leader: unknown }[];
    expect(parsed.map((s) => s.endpoint)).toEqual(cluster.endpoints());
  });
});

describe("raftkv put, get and errors", () => {
  it("put reads the value from stdin when none is given: 1 MiB of any bytes", async () => {
    const value = randomBytes(1024 * 1024);
    const put = await raftkv(["put", "big", "--endpoints", endpoints], {}, value);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toBe("OK\n");
    const got = (await cluster.client().get("big")).kvs[0]?.value;
    expect(got !== undefined && Buffer.compare(Buffer.from(got), value) === 0).toBe(true);
  });

  it("bad flag values are usage errors (exit code 2) naming the flag", async () => {
    const cases: [string[], string][] = [
      [["get", "k", "--rev", "abc"], "--rev"],
      [["get", "k", "--rev", "-1"], "--rev"],
      [["get", "k", "--limit", "many"], "--limit"],
      [["put", "k", "v", "--timeout-ms", "soon"], "--timeout-ms"],
      [["bench", "--clients", "zero"], "--clients"],
    ];
    for (const [args, flag] of cases) {
      const run = await raftkv([...args, "--endpoints", endpoints]);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(flag);
    }
  });

  it("an unreachable endpoint: the error has no dangling 'Resolution note:'", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await raftkv(["get", "k", "--endpoints", dead, "--timeout-ms", "3000"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: .*ECONNREFUSED/);
    expect(run.stderr).not.toContain("Resolution note");
  });
});

describe("raftkv bench", () => {
  it("every request failing: prints the first error and exits 1; RAFTKV_ENDPOINTS is used", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await raftkv(["bench", "--total", "20", "--clients", "2", "--conns", "1"], {
      RAFTKV_ENDPOINTS: dead,
    });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain("20 requests (20 errors)");
    expect(run.stderr).toMatch(/first error: .*ECONNREFUSED/);
    expect(run.stderr).toContain(dead.split(":")[1]);
    expect(run.stderr).not.toContain("Resolution note");
  });

  it("on a terminal, a live line shows requests/s, errors and elapsed time", async () => {
    const script = spawnSync("sh", ["-c", "command -v script"]).status === 0;
    if (!script) {
      console.log("skipped: `script` (util-linux) is not installed, no pseudo-terminal to test with");
      return;
    }
    const command = `"${process.execPath}" "${CLI}" bench --total 600 --clients 8 --conns 2`;
    const run = await exec("script", ["-qfec", command, "/dev/null"], { RAFTKV_ENDPOINTS: endpoints });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Each redraw returns to the line's start and clears it (CR, ESC [K) before writing it again.
    expect(run.stdout).toContain("\r\u001b[K");
    expect(run.stdout).toMatch(/\d+ requests of 600 {2}\d+ req\/s {2}0 errors {2}\d+\.\d s/);
    expect(run.stdout).toContain("600 requests (0 errors)");
  });
});
