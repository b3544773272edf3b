// A linear-time linearizability proof from revisions, checked before (and beside) the search.
//
// etcd's revision is a total order of all writes, and every response carries the revision it was
// served at. Given the store's own history after the run (audit.ts: the write at each revision),
// the order "by revision; at one revision the write first, then the reads in invocation order" is
// a candidate linearization. It is a valid one — a witness — when
//   1. every operation's answer is what that order gives: a read (or a failed CAS, or a delete of
//      nothing) sees the state at its revision; a write's prev_kv, a CAS's compare and a delete's
//      count fit the state just before its revision; and
//   2. it respects real time: an operation invoked after another completed comes later: a read at a
//      revision no lower, a write at a revision strictly higher.
// Indeterminate writes the store holds are writes at their revision (checked for 2 as invoked,
// never as completed); those it does not hold never happened.
//
// The witness uses all keys at once (the revision is global), so it also checks etcd's guarantee
// that revisions never go backwards in real time across keys — stronger than per-key
// linearizability. When it fails, the search (linearizability.ts) decides whether the values
// alone are linearizable; a witness failure is reported either way (as a revision anomaly).

import type { StoreEvent } from "./audit.js";
import { describeObserved, describeOp, type Observed, type Operation } from "./history.js";

export interface WitnessResult {
  readonly ok: boolean;
  /** Operations placed (indeterminate writes not in the store are left out). */
  readonly placed: number;
  readonly problems: string[];
}

const ABSENT: Observed = { value: null, rev: 0 };

/** The state of each key at any revision, from the store's history. */
class StoreStates {
  readonly #byKey = new Map<string, StoreEvent[]>();
  readonly lastRev: number;

  constructor(events: readonly StoreEvent[]) {
    let last = 1;
    for (const e of events) {
      const list = this.#byKey.get(e.key);
      if (list === undefined) this.#byKey.set(e.key, [e]);
      else list.push(e);
      last = Math.max(last, e.rev);
    }
    for (const list of this.#byKey.values()) list.sort((a, b) => a.rev - b.rev);
    this.lastRev = last;
  }

  /** The key's value and mod revision after revision `rev` was applied. */
  at(key: string, rev: number): Observed {
    const list = this.#byKey.get(key);
    if (list === undefined) return ABSENT;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.rev <= rev) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return ABSENT;
    const e = list[found]!;
    return e.type === "put" ? { value: e.value, rev: e.rev } : ABSENT;
  }

  /** The event at `rev` on `key`, if any. */
  eventAt(key: string, rev: number): StoreEvent | undefined {
    const after = this.at(key, rev);
    const before = this.at(key, rev - 1);
    if (after.value !== null && after.rev === rev) return { rev, key, type: "put", value: after.value };
    if (after.value === null && before.value !== null) return { rev, key, type: "delete", value: null };
    return undefined;
  }
}

const same = (a: Observed, b: Observed): boolean =>
  a.value === b.value && (a.value === null || a.rev === b.rev);

interface Placed {
  readonly op: Operation;
  readonly rev: number;
  readonly write: boolean;
}

/** Checks rule 1 for one operation; returns its place in the order, or a problem. */
function place(op: Operation, s: StoreStates): Placed | string | null {
  const input = op.input;
  const at = (rev: number): Observed => s.at(op.key, rev);
  if (op.status !== "ok") return null; // indeterminate writes: placed by the caller
  const out = op.output!;
  const mismatch = (what: string, saw: Observed, rev: number): string =>
    `${describeOp(op)}: ${what} ${describeObserved(saw)}, but the store has ${describeObserved(at(rev))} at revision ${rev}`;
  switch (out.f) {
    case "get": {
      if (out.rev === undefined) return `${describeOp(op)}: no revision recorded`;
      return same(out.obs, at(out.rev))
        ? { op, rev: out.rev, write: false }
        : mismatch("read", out.obs, out.rev);
    }
    case "put":
      if (!same(out.prev, at(out.rev - 1))) return mismatch("replaced", out.prev, out.rev - 1);
      return { op, rev: out.rev, write: true };
    case "delete":
      if (out.deleted > 0) {
        if (!same(out.prev, at(out.rev - 1))) return mismatch("deleted", out.prev, out.rev - 1);
        return { op, rev: out.rev, write: true };
      }
      if (!same(ABSENT, at(out.rev))) return mismatch("found nothing to delete,", ABSENT, out.rev);
      return { op, rev: out.rev, write: false };
    case "cas": {
      if (input.f !== "cas") return `${describeOp(op)}: a CAS answer to another operation`;
      if (out.succeeded) {
        const before = at(out.rev - 1);
        const holds =
          before.value !== null &&
          (input.cmp === "value" ? before.value === input.expect : before.rev === input.expect);
        if (!holds) return mismatch("succeeded, yet its compare fails on", before, out.rev - 1);
        return { op, rev: out.rev, write: true };
      }
      const now = at(out.rev);
      const holds =
        now.value !== null && (input.cmp === "value" ? now.value === input.expect : now.rev === input.expect);
      if (holds) return mismatch("failed, yet its compare holds on", now, out.rev);
      if (out.cur !== null && !same(out.cur, now)) return mismatch("failed and read", out.cur, out.rev);
      return { op, rev: out.rev, write: false };
    }
  }
}

/**
 * Checks the witness. `applied` gives the store revision of each indeterminate write the store
 * holds (by operation id).
 */
export function checkWitness(
  ops: readonly Operation[],
  events: readonly StoreEvent[],
  applied: ReadonlyMap<number, number>,
): WitnessResult {
  const s = new StoreStates(events);
  const problems: string[] = [];
  const placed: Placed[] = [];
  for (const op of ops) {
    if (op.status === "info") {
      const rev = applied.get(op.id);
      if (rev === undefined || (op.input.f !== "put" && op.input.f !== "cas")) continue;
      if (op.input.f === "cas") {
        const before = s.at(op.key, rev - 1);
        const i = op.input;
        const holds =
          before.value !== null && (i.cmp === "value" ? before.value === i.expect : before.rev === i.expect);
        if (!holds) {
          problems.push(
            `${describeOp(op)}: the store holds it at ${rev}, yet its compare fails on ${describeObserved(before)}`,
          );
          continue;
        }
      }
      placed.push({ op, rev, write: true });
      continue;
    }
    const p = place(op, s);
    if (typeof p === "string") problems.push(p);
    else if (p !== null) placed.push(p);
  }
  // Rule 2: sweep invocations in time order against everything completed before them.
  const byInvoke = [...placed].sort((a, b) => a.op.invokeMs - b.op.invokeMs);
  // Indeterminate writes never completed (their error is not a completion).
  const byComplete = placed
    .filter((p) => p.op.status === "ok")
    .sort((a, b) => a.op.completeMs - b.op.completeMs);
  let done = 0;
  let floor: Placed | null = null;
  for (const p of byInvoke) {
    while (done < byComplete.length && byComplete[done]!.op.completeMs < p.op.invokeMs) {
      const c = byComplete[done++]!;
      if (floor === null || c.rev > floor.rev) floor = c;
    }
    if (floor === null) continue;
    const bad = p.write ? p.rev <= floor.rev : p.rev < floor.rev;
    if (bad && problems.length < 50) {
      problems.push(
        `revision went back in real time: ${describeOp(p.op)} is at revision ${p.rev}, but it was invoked after ` +
          `${describeOp(floor.op)} completed at revision ${floor.rev}`,
      );
    }
  }
  return { ok: problems.length === 0, placed: placed.length, problems };
}
