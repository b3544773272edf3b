// Process helpers the benches share: wait until endpoints take a write, stop a child.

import type { ChildProcess } from "node:child_process";
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

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export function stopProcess(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once("exit", () => r());
    p.kill("SIGTERM");
    setTimeout(() => p.kill("SIGKILL"), 10_000).unref();
  });
}
