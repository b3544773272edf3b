// Process helpers the benches share: wait until endpoints take a write, stop a child, read a
// process's memory from /proc, and stop every child on Ctrl-C.

import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { EtcdClient } from "../src/client/index.js";

/** Resolves once a put of `foo` through `endpoints` succeeds; throws after `timeoutMs`. */
export async function waitWritable(endpoints: readonly string[], timeoutMs = 30_000): Promise<void> {
  const client = new EtcdClient([...endpoints], { timeoutMs: 1000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.put("foo", "bar");
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`${endpoints.join(",")} not ready: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(p: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once("exit", () => r());
    p.kill("SIGTERM");
    setTimeout(() => p.kill("SIGKILL"), graceMs).unref();
  });
}

/** Resident memory of a process in MiB: all of it, and its anonymous and file-backed parts. */
export interface Memory {
  readonly rssMiB: number;
  /** Heap, stacks, malloc arenas: what the process allocated. */
  readonly anonMiB: number;
  /** Mapped files in memory (LevelDB table files, bbolt's mmap): page cache the kernel can drop. */
  readonly fileMiB: number;
}

/** From /proc/PID/status (VmRSS, RssAnon, RssFile + RssShmem); zeros once the process is gone. */
export function memoryOf(pid: number | undefined): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const mib = (k: number): number => Math.round(k / 1024);
    return {
      rssMiB: mib(kib("VmRSS")),
      anonMiB: mib(kib("RssAnon")),
      fileMiB: mib(kib("RssFile") + kib("RssShmem")),
    };
  } catch {
    return { rssMiB: 0, anonMiB: 0, fileMiB: 0 };
  }
}

/**
 * Calls `cleanup` once on SIGINT or SIGTERM, then exits with 130 (a bench's `finally` does not run
 * when Node is interrupted). Returns the function that removes the handlers.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  let running = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (running) return;
    running = true;
    process.stderr.write(`\n${signal}: stopping the processes this bench started\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

/** User + system CPU time of the processes so far, in µs (from /proc; 0 where unreadable). */
export function cpuUs(procs: readonly ChildProcess[]): number {
  let ticks = 0;
  for (const p of procs) {
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on Linux on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;
