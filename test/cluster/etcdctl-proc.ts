// The real etcdctl (v3 API) as a test tool: one-shot commands, and long-running ones (watch,
// lock, elect, lease keep-alive) whose output is awaited with deadlines and which are always
// killed at the end.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { waitFor } from "./harness.js";

const ENV = { ...process.env, ETCDCTL_API: "3" };

/** `etcdctl version` output, or undefined when etcdctl is not installed. */
export function etcdctlVersion(): string | undefined {
  try {
    return execFileSync("etcdctl", ["version"], { env: ENV, timeout: 10_000, encoding: "utf8" });
  } catch {
    return undefined;
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `etcdctl --endpoints <endpoints> args...` to completion (20 s at most). */
export function etcdctl(endpoints: readonly string[], args: readonly string[], input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("etcdctl", ["--endpoints", endpoints.join(","), "--command-timeout=10s", ...args], {
      env: ENV,
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A long-running etcdctl. */
export class Background {
  readonly args: readonly string[];
  readonly #child: ChildProcess;
  stdout = "";
  stderr = "";
  code: number | null | undefined = undefined;
  readonly #exited: Promise<number | null>;

  constructor(endpoints: readonly string[], args: readonly string[]) {
    this.args = args;
    this.#child = spawn("etcdctl", ["--endpoints", endpoints.join(","), ...args], {
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child.stdout!.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.#exited = new Promise((resolve) =>
      this.#child.on("close", (code) => {
        this.code = code;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.code === undefined;
  }

  /** Waits until stdout matches `re`. */
  async output(re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    try {
      return await waitFor(
        `etcdctl ${this.args.join(" ")} to print ${re}`,
        () => re.exec(this.stdout),
        timeoutMs,
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr.slice(-2000)}`,
      );
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** Resolves with the exit code once it exited (rejects after `timeoutMs`). */
  async exit(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.#exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`etcdctl ${this.args.join(" ")} did not exit\n${this.stderr.slice(-2000)}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child.kill("SIGKILL");
    await this.#exited;
  }
}

/** Every Background started through it is killed by killAll(). */
export class Backgrounds {
  readonly #all: Background[] = [];

  start(endpoints: readonly string[], args: readonly string[]): Background {
    const b = new Background(endpoints, args);
    this.#all.push(b);
    return b;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.#all.splice(0).map((b) => b.kill()));
  }
}
