// The checks after the faults stop: the cluster serves again within a bound, all nodes converge to
// the same data (Maintenance.HashKV), and the store's own MVCC history agrees with what the
// clients were told.
//
// The MVCC history: every node's store is read back through Maintenance.Snapshot once all
// hashes agree; every node's complete history (every revision, not only the latest state) must be
// identical, and it must agree with what the clients were told:
//   - every acknowledged put or CAS is in the store at the revision it was acknowledged with, with
//     its value, and every acknowledged delete that deleted something is a delete at its revision
//     (no acknowledged write lost);
//   - no value was written twice, none that no client wrote, none whose write failed definitively,
//     none of a CAS reported as failed;
//   - an indeterminate put or CAS whose value is not in the store never took effect: the checker
//     may leave it out (a value some client read is never left out).

import { createHash } from "node:crypto";
import type { EtcdClient } from "../../src/client/index.js";
import { decodeRecord, parseRevisionKey, REVISION_RANGE } from "../../src/kv/layout.js";
import { readSnapshot } from "../../src/kv/snapshot-format.js";
import type { FaultCluster, FaultNode } from "./cluster.js";
import { waitFor } from "./cluster.js";
import { describeOp, type Operation } from "./history.js";

export interface StoreEvent {
  readonly rev: number;
  readonly key: string;
  readonly type: "put" | "delete";
  readonly value: string | null;
}

/**
 * The KV snapshot a node streams, without etcd's framing: Maintenance.Snapshot appends zero
 * padding to a multiple of 512 bytes and a SHA-256 of everything before it (src/api); the data
 * ends after its own trailer (src/kv/snapshot-format.ts).
 */
async function snapshotData(client: EtcdClient, endpoint: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of client.snapshot(endpoint)) parts.push(chunk);
  const all = Buffer.concat(parts);
  const body = all.subarray(0, all.length - 32);
  if (
    !createHash("sha256")
      .update(body)
      .digest()
      .equals(all.subarray(all.length - 32))
  )
    throw new Error(`snapshot of ${endpoint}: SHA-256 mismatch`);
  let at = 5; // "RKVS" + version
  for (;;) {
    const keyLength = body.readUInt32BE(at);
    if (keyLength === 0xffffffff) return body.subarray(0, at + 12);
    at += 8 + keyLength + body.readUInt32BE(at + 4);
  }
}

/**
 * Every write to keys under `prefix`, in revision order, read from the node's Maintenance.Snapshot
 * stream (its whole KV keyspace): the "r" entries are every version of every key by revision
 * (src/kv/layout.ts). Reading a past revision through Range scans a key's whole history, so one
 * snapshot is far cheaper than a Range per revision. `digest` covers every revision entry, for
 * comparing nodes' complete histories (HashKV covers only the latest state).
 */
export async function readStoreHistory(
  client: EtcdClient,
  endpoint: string,
  prefix: string,
): Promise<{ events: StoreEvent[]; digest: string; revisions: number }> {
  const events: StoreEvent[] = [];
  const hash = createHash("sha256");
  let revisions = 0;
  const want = Buffer.from(prefix);
  const data = await snapshotData(client, endpoint);
  await readSnapshot(
    (async function* () {
      yield data;
    })(),
    (key, value) => {
      if (key[0] !== REVISION_RANGE.gte[0]) return;
      hash.update(key).update(value);
      revisions++;
      const { main } = parseRevisionKey(key);
      const { kv, tombstone } = decodeRecord(value);
      if (!kv.key.subarray(0, want.length).equals(want)) return;
      events.push({
        rev: main,
        key: kv.key.toString(),
        type: tombstone ? "delete" : "put",
        value: tombstone ? null : kv.value.toString(),
      });
    },
  );
  return { events, digest: hash.digest("hex"), revisions };
}

export interface StoreAudit {
  readonly failures: string[];
  /** Indeterminate puts and CAS whose value is not in the store. */
  readonly neverApplied: Set<number>;
  /** The store revision of each indeterminate put or CAS it holds, by operation id. */
  readonly appliedAt: Map<number, number>;
  readonly indeterminateApplied: number;
  readonly events: number;
}

export function auditStore(ops: readonly Operation[], events: readonly StoreEvent[]): StoreAudit {
  const failures: string[] = [];
  const writer = new Map<string, Operation>();
  for (const op of ops) if (op.input.f === "put" || op.input.f === "cas") writer.set(op.input.value, op);
  const putsOf = new Map<string, StoreEvent[]>();
  const atRev = new Map<number, StoreEvent[]>();
  for (const e of events) {
    if (e.value !== null) {
      const list = putsOf.get(e.value) ?? [];
      list.push(e);
      putsOf.set(e.value, list);
    }
    const list = atRev.get(e.rev) ?? [];
    list.push(e);
    atRev.set(e.rev, list);
  }
  const fail = (msg: string): void => {
    if (failures.length < 50) failures.push(msg);
  };
  for (const [value, list] of putsOf) {
    const w = writer.get(value);
    const where = list.map((e) => `${e.key}@${e.rev}`).join(", ");
    if (list.length > 1) fail(`written twice: value ${JSON.stringify(value)} is in the store at ${where}`);
    if (w === undefined)
      fail(`phantom write: the store holds ${JSON.stringify(value)} at ${where}; no client wrote it`);
    else if (w.status === "fail")
      fail(`a write that failed definitively is in the store at ${where}: ${describeOp(w)}`);
    else if (w.status === "ok" && w.output?.f === "cas" && !w.output.succeeded)
      fail(`a CAS reported as failed is in the store at ${where}: ${describeOp(w)}`);
  }
  let indeterminateApplied = 0;
  const neverApplied = new Set<number>();
  const appliedAt = new Map<number, number>();
  for (const op of ops) {
    const out = op.output;
    if (op.status === "info" && (op.input.f === "put" || op.input.f === "cas")) {
      const found = putsOf.get(op.input.value);
      if (found !== undefined) {
        indeterminateApplied++;
        appliedAt.set(op.id, found[0]!.rev);
      } else neverApplied.add(op.id);
      continue;
    }
    if (op.status !== "ok" || out === null) continue;
    if (out.f === "put" || (out.f === "cas" && out.succeeded)) {
      const value = (op.input as { value: string }).value;
      const e = (atRev.get(out.rev) ?? []).find((x) => x.key === op.key);
      if (e === undefined || e.type !== "put" || e.value !== value) {
        const found = putsOf.get(value)?.map((x) => `${x.key}@${x.rev}`) ?? [];
        fail(
          `acknowledged write lost: ${describeOp(op)}; the store has ${e === undefined ? "nothing" : `${e.type} ${e.value ?? ""}`} ` +
            `for ${op.key} at revision ${out.rev}${found.length > 0 ? ` (the value is at ${found.join(", ")})` : ""}`,
        );
      }
    } else if (out.f === "delete" && out.deleted > 0) {
      const e = (atRev.get(out.rev) ?? []).find((x) => x.key === op.key);
      if (e === undefined || e.type !== "delete")
        fail(
          `acknowledged delete lost: ${describeOp(op)}; the store has no delete of ${op.key} at ${out.rev}`,
        );
    }
  }
  return { failures, neverApplied, appliedAt, indeterminateApplied, events: events.length };
}

export interface Convergence {
  readonly ok: boolean;
  readonly ms: number;
  readonly revision: number;
  readonly detail: string;
}

/** Polls HashKV on every node until all report the same hash at the same revision. */
export async function waitForConvergence(
  cluster: FaultCluster,
  clients: ReadonlyMap<FaultNode, EtcdClient>,
  timeoutMs: number,
): Promise<Convergence> {
  const t0 = Date.now();
  let last = "";
  try {
    const revision = await waitFor(
      "identical HashKV on every node",
      async () => {
        const hashes = await Promise.all(
          cluster.nodes.map(async (n) => {
            const r = await clients.get(n)!.hashKV(0);
            cluster.checkHeader(n, r.header);
            return { name: n.name, hash: r.hash, rev: r.hashRevision };
          }),
        );
        last = hashes.map((h) => `${h.name}: ${h.hash}@${h.rev}`).join(", ");
        const first = hashes[0]!;
        const same = hashes.every((h) => h.hash === first.hash && h.rev === first.rev);
        return same ? first.rev : 0;
      },
      timeoutMs,
      200,
    );
    return { ok: true, ms: Date.now() - t0, revision, detail: last };
  } catch (err) {
    return {
      ok: false,
      ms: Date.now() - t0,
      revision: 0,
      detail: `${(err as Error).message}; last: ${last}`,
    };
  }
}

export interface Recovery {
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

/** Time until a write commits and every node serves a linearizable read of it. */
export async function waitForRecovery(
  cluster: FaultCluster,
  clients: ReadonlyMap<FaultNode, EtcdClient>,
  probeKey: string,
  timeoutMs: number,
): Promise<Recovery> {
  const t0 = Date.now();
  const value = `probe-${t0}`;
  const served = new Set<FaultNode>();
  let wrote = false;
  try {
    await waitFor(
      "a committed write and a linearizable read on every node",
      async () => {
        if (!wrote) {
          for (const [n, c] of clients) {
            try {
              cluster.checkHeader(n, (await c.put(probeKey, value)).header);
              wrote = true;
              break;
            } catch {}
          }
          if (!wrote) return false;
        }
        await Promise.all(
          [...clients].map(async ([n, c]) => {
            if (served.has(n)) return;
            const r = await c.get(probeKey).catch(() => null);
            if (r === null) return;
            cluster.checkHeader(n, r.header);
            if (r.kvs[0]?.value.toString() === value) served.add(n);
          }),
        );
        return served.size === clients.size;
      },
      timeoutMs,
      100,
    );
    return { ok: true, ms: Date.now() - t0, detail: "" };
  } catch (err) {
    const missing = [...clients.keys()].filter((n) => !served.has(n)).map((n) => n.name);
    return {
      ok: false,
      ms: Date.now() - t0,
      detail: `${(err as Error).message}; ${wrote ? `not served by ${missing.join(",")}` : "no write committed"}`,
    };
  }
}
