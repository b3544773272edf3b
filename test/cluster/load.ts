// A write load for the crash tests: concurrent writers, each putting its own keys one after
// another, recording which writes were acknowledged (must survive), which failed or timed out
// (indeterminate: may or may not be present) and when each acknowledgement arrived.

import { expect } from "vitest";
import { EtcdClient } from "../../src/client/index.js";

export interface WriteLoadResult {
  /** key → value of every acknowledged put. */
  readonly acked: Map<string, string>;
  /** Keys whose put failed or timed out: indeterminate. */
  readonly indeterminate: Set<string>;
  /** For each acknowledged put: when it was sent and when the answer came (Date.now()). */
  readonly acks: { sentAt: number; ackedAt: number }[];
  /** Error messages seen, with counts (for reporting). */
  readonly errors: Map<string, number>;
}

export interface WriteLoad {
  readonly result: WriteLoadResult;
  /** Resolves once at least `n` puts were acknowledged since the load began. */
  acknowledged(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first acknowledged put sent at or after `since`: its ack time. */
  firstAckSentAfter(since: number, timeoutMs: number): Promise<number>;
  /** Stops the writers and waits for every call in flight to settle. */
  stop(): Promise<WriteLoadResult>;
}

export interface WriteLoadOptions {
  readonly endpoints: readonly string[];
  readonly writers: number;
  readonly prefix: string;
  /** Client deadline per put; a put that misses it is indeterminate. */
  readonly callTimeoutMs: number;
}

/** Starts `writers` loops, each with its own client (rotated over the endpoints). */
export function startWriteLoad(o: WriteLoadOptions): WriteLoad {
  const result: WriteLoadResult = { acked: new Map(), indeterminate: new Set(), acks: [], errors: new Map() };
  let running = true;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const fn of listeners) fn();
  };
  const clients: EtcdClient[] = [];
  const loops: Promise<void>[] = [];
  for (let w = 0; w < o.writers; w++) {
    const endpoints = o.endpoints.map((_, i) => o.endpoints[(i + w) % o.endpoints.length]!);
    const client = new EtcdClient(endpoints, { timeoutMs: o.callTimeoutMs });
    clients.push(client);
    loops.push(
      (async () => {
        for (let seq = 0; running; seq++) {
          const key = `${o.prefix}/${w}/${seq}`;
          const value = `v${w}.${seq}`;
          const sentAt = Date.now();
          try {
            await client.put(key, value);
            result.acked.set(key, value);
            result.acks.push({ sentAt, ackedAt: Date.now() });
          } catch (err) {
            result.indeterminate.add(key);
            const msg = (err as Error).message.slice(0, 120);
            result.errors.set(msg, (result.errors.get(msg) ?? 0) + 1);
            // No leader anywhere: give the cluster a moment instead of spinning on refusals.
            await new Promise((r) => setTimeout(r, 20));
          }
          notify();
        }
      })(),
    );
  }
  const until = (what: string, cond: () => boolean, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (cond()) return resolve();
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`write load: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      listeners.add(check);
    });
  return {
    result,
    acknowledged: (n, timeoutMs = 20_000) =>
      until(`${n} acknowledged writes`, () => result.acked.size >= n, timeoutMs),
    firstAckSentAfter: async (since, timeoutMs) => {
      const find = () => result.acks.find((a) => a.sentAt >= since);
      await until(`a write sent after ${since} to be acknowledged`, () => find() !== undefined, timeoutMs);
      return find()!.ackedAt;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      for (const c of clients) c.close();
      return result;
    },
  };
}

/** Every acknowledged write is present with its value; indeterminate ones may be either way. */
export async function expectAllAckedPresent(
  endpoints: readonly string[],
  prefix: string,
  result: WriteLoadResult,
): Promise<number> {
  const client = new EtcdClient(endpoints, { timeoutMs: 10_000 });
  try {
    const res = await client.get(`${prefix}/`, { prefix: true });
    const found = new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
    const missing = [...result.acked].filter(([k, v]) => found.get(k) !== v).map(([k]) => k);
    expect(missing, `acknowledged writes missing (of ${result.acked.size})`).toEqual([]);
    // Nothing that was never written appears.
    const unknown = [...found.keys()].filter((k) => !result.acked.has(k) && !result.indeterminate.has(k));
    expect(unknown, "keys nobody wrote").toEqual([]);
    return found.size;
  } finally {
    client.close();
  }
}
