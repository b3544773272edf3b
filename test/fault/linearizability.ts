// A linearizability checker for the KV histories of a fault run, in the manner of Wing & Gong and
// Porcupine (Lowe's refinement): a depth-first search for a sequential order of the operations
// that respects real time and the model, with memoization of (set linearized, model state), and
// P-compositionality: each key is checked on its own (operations touch one key each).
//
// The model is a register with a mod revision per key: put, get, delete, and compare-and-swap on
// the value or on the mod revision. An operation whose outcome is unknown (status "info") may take
// effect at any point after its invocation, or never: its completion is taken as +∞.
//
// Values are unique per write, which lets a pre-pass name the write behind every value read and
// catch, before any search, a value read that nobody wrote, a write that failed definitively but
// was read, and a value seen at two mod revisions (a write applied twice).

import { describeObserved, describeOp, type KvInput, type Observed, type Operation } from "./history.js";
import { Prng } from "./prng.js";

/** A key's model state. rev: the mod revision, 0 when absent, UNKNOWN_REV when not known. */
export interface ModelState {
  readonly value: string | null;
  readonly rev: number;
}

const UNKNOWN_REV = -1;
export const ABSENT: ModelState = Object.freeze({ value: null, rev: 0 });

export type ViolationKind = "not-linearizable" | "phantom-value" | "failed-write-applied" | "written-twice";

export interface Violation {
  readonly key: string;
  readonly kind: ViolationKind;
  /** A few lines a human reads first. */
  readonly explanation: string;
  /** The operations the explanation names. */
  readonly opIds: readonly number[];
}

export interface KeyResult {
  readonly key: string;
  readonly ops: number;
  readonly outcome: "ok" | "violation" | "unknown";
  readonly steps: number;
  /** unknown: how many operations the deepest partial order placed. */
  readonly deepest?: number;
  readonly violation?: Violation;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly keys: readonly KeyResult[];
  readonly violations: readonly Violation[];
  /** Keys whose search hit the step budget: neither proven nor refuted. */
  readonly unknownKeys: readonly string[];
}

export interface CheckOptions {
  /**
   * Indeterminate writes known not to have taken effect (e.g. absent from the store's own history
   * after the run): left out of the search. A write whose value a client read is never left out.
   */
  readonly neverApplied?: ReadonlySet<number>;
  /** Search steps per key before giving up with "unknown". Default 20 million. */
  readonly maxStepsPerKey?: number;
  /** Memo entries per key before giving up with "unknown" (bounds memory). Default 2 million. */
  readonly maxMemoEntriesPerKey?: number;
}

function stateKey(s: ModelState): string {
  return s.value === null ? `${s.rev}` : `${s.rev}:${s.value}`;
}

function matches(s: ModelState, o: Observed): boolean {
  if (s.value !== o.value) return false;
  return o.value === null || s.rev === UNKNOWN_REV || s.rev === o.rev;
}

/** The state after an observation that matched: an unknown revision becomes the one observed. */
function pin(s: ModelState, o: Observed): ModelState {
  return s.rev === UNKNOWN_REV && o.value !== null ? { value: s.value, rev: o.rev } : s;
}

function compareHolds(s: ModelState, input: KvInput & { f: "cas" }): boolean {
  if (s.value === null) return false; // etcd: a value or mod compare on a missing key is false
  return input.cmp === "value" ? s.value === input.expect : s.rev === input.expect;
}

/**
 * The model: the state after `op` takes effect in state `s`, or null when the outcome `op`
 * reported is impossible in `s`. `revOf` gives the revision of an indeterminate write's value
 * when some read saw it.
 */
export function step(s: ModelState, op: Operation, revOf: (value: string) => number): ModelState | null {
  const input = op.input;
  const out = op.status === "ok" ? op.output : null;
  switch (input.f) {
    case "get": {
      if (out?.f !== "get") return null;
      return matches(s, out.obs) ? pin(s, out.obs) : null;
    }
    case "put": {
      if (out === null) return { value: input.value, rev: revOf(input.value) };
      if (out.f !== "put" || !matches(s, out.prev)) return null;
      return { value: input.value, rev: out.rev };
    }
    case "delete": {
      if (out === null) return ABSENT;
      if (out.f !== "delete") return null;
      if (out.deleted > 0 !== (s.value !== null) || !matches(s, out.prev)) return null;
      return ABSENT;
    }
    case "cas": {
      const holds = compareHolds(s, input);
      if (out === null) return holds ? { value: input.value, rev: revOf(input.value) } : s;
      if (out.f !== "cas") return null;
      if (out.succeeded) return holds ? { value: input.value, rev: out.rev } : null;
      if (holds) return null;
      if (out.cur === null) return s;
      return matches(s, out.cur) ? pin(s, out.cur) : null;
    }
  }
}

/** Every (value, revision) an operation's answer shows. */
function observations(op: Operation): Observed[] {
  const out = op.status === "ok" ? op.output : null;
  if (out === null) return [];
  const seen: Observed[] = [];
  switch (out.f) {
    case "get":
      seen.push(out.obs);
      break;
    case "put":
    case "delete":
      seen.push(out.prev);
      break;
    case "cas":
      if (out.cur !== null) seen.push(out.cur);
      break;
  }
  if (
    (out.f === "put" || (out.f === "cas" && out.succeeded)) &&
    (op.input.f === "put" || op.input.f === "cas")
  )
    seen.push({ value: op.input.value, rev: out.rev });
  return seen.filter((o) => o.value !== null);
}

interface PrePass {
  readonly revOf: Map<string, number>;
  readonly observedValues: Set<string>;
  /** The earliest completion of an operation (other than its writer) that saw each value. */
  readonly seenBy: Map<string, number>;
  readonly violation?: Violation;
}

/** Names the write behind every value seen; catches phantom, failed and doubly-applied writes. */
function prePass(key: string, ops: readonly Operation[]): PrePass {
  const writer = new Map<string, Operation>();
  for (const op of ops) {
    if (op.input.f === "put" || op.input.f === "cas") writer.set(op.input.value, op);
  }
  const revOf = new Map<string, number>();
  const seenBy = new Map<string, Operation>();
  const observedValues = new Set<string>();
  const firstSeen = new Map<string, number>();
  for (const op of ops) {
    for (const o of observations(op)) {
      const value = o.value!;
      const w = writer.get(value);
      if (op !== w) {
        observedValues.add(value);
        firstSeen.set(value, Math.min(firstSeen.get(value) ?? Number.POSITIVE_INFINITY, op.completeMs));
      }
      if (w === undefined) {
        return {
          revOf,
          observedValues,
          seenBy: firstSeen,
          violation: {
            key,
            kind: "phantom-value",
            explanation: `key ${key}: ${describeOp(op)} saw ${describeObserved(o)}, a value no operation wrote`,
            opIds: [op.id],
          },
        };
      }
      if (w.status === "fail" && op !== w) {
        return {
          revOf,
          observedValues,
          seenBy: firstSeen,
          violation: {
            key,
            kind: "failed-write-applied",
            explanation:
              `key ${key}: a write that failed definitively took effect:\n  ${describeOp(w)}\n` +
              `  yet ${describeOp(op)} saw ${describeObserved(o)}`,
            opIds: [w.id, op.id],
          },
        };
      }
      const known = revOf.get(value);
      if (known !== undefined && known !== o.rev) {
        const first = seenBy.get(value)!;
        return {
          revOf,
          observedValues,
          seenBy: firstSeen,
          violation: {
            key,
            kind: "written-twice",
            explanation:
              `key ${key}: value ${JSON.stringify(value)} was seen at two mod revisions, ${known} and ${o.rev}: ` +
              `its write took effect twice.\n  writer: ${describeOp(w)}\n  seen:   ${describeOp(first)}\n` +
              `  seen:   ${describeOp(op)}`,
            opIds: [w.id, first.id, op.id],
          },
        };
      }
      revOf.set(value, o.rev);
      if (!seenBy.has(value)) seenBy.set(value, op);
    }
  }
  return { revOf, observedValues, seenBy: firstSeen };
}

interface Entry {
  /** Index into the key's operations. */
  readonly id: number;
  readonly call: boolean;
  readonly time: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** The linearization so far, as a persistent stack: a snapshot is a reference. */
interface Linearized {
  readonly entry: Entry;
  /** The state before this operation. */
  readonly before: ModelState;
  readonly parent: Linearized | null;
  readonly depth: number;
  /** A completed operation that changed nothing (a read): placed as early as it fits, for good. */
  readonly early: boolean;
}

function buildEntries(ops: readonly Operation[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, id) => {
    const call: Entry = { id, call: true, time: op.invokeMs, match: null, prev: null, next: null };
    const end = op.status === "info" ? Number.POSITIVE_INFINITY : op.completeMs;
    const ret: Entry = { id, call: false, time: end, match: null, prev: null, next: null };
    call.match = ret;
    entries.push(call, ret);
  });
  // Calls before returns at equal times: the lenient order (concurrent, not ordered).
  entries.sort((a, b) => a.time - b.time || (a.call === b.call ? a.id - b.id : a.call ? -1 : 1));
  const head: Entry = {
    id: -1,
    call: false,
    time: Number.NEGATIVE_INFINITY,
    match: null,
    prev: null,
    next: null,
  };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(e: Entry): void {
  e.prev!.next = e.next;
  e.next!.prev = e.prev;
  const m = e.match!;
  m.prev!.next = m.next;
  if (m.next !== null) m.next.prev = m.prev;
}

function unlift(e: Entry): void {
  const m = e.match!;
  m.prev!.next = m;
  if (m.next !== null) m.next.prev = m;
  e.prev!.next = e;
  e.next!.prev = e;
}

interface SearchResult {
  readonly outcome: "ok" | "violation" | "unknown";
  readonly steps: number;
  /** The deepest partial linearization, the state it reached, and the op that could not follow. */
  readonly deepest?: {
    readonly top: Linearized | null;
    readonly state: ModelState;
    readonly blocked: number;
  };
  readonly deepestDepth?: number;
}

/**
 * Porcupine's search: linearize the earliest call that the model accepts; backtrack on a return.
 * A generator that yields now and then, so a caller can keep its event loop (signals) alive.
 */
function* search(
  ops: readonly Operation[],
  revOf: (v: string) => number,
  maxSteps: number,
  maxMemo: number,
): Generator<void, SearchResult> {
  const head = buildEntries(ops);
  const words = Math.ceil(ops.length / 32) + 1;
  const bits = new Uint32Array(words);
  // Indeterminate deletes all have the same effect and no deadline: in any valid order, those that
  // delete something can be exchanged for the earliest-invoked ones, placed in invocation order
  // (and those that delete nothing dropped), so the search only tries that order.
  const previousDelete = new Int32Array(ops.length).fill(-1);
  let lastDelete = -1;
  [...ops.keys()]
    .filter((i) => ops[i]!.status === "info" && ops[i]!.input.f === "delete")
    .sort((a, b) => ops[a]!.invokeMs - ops[b]!.invokeMs)
    .forEach((i) => {
      previousDelete[i] = lastDelete;
      lastDelete = i;
    });
  const isSet = (id: number): boolean => (bits[id >>> 5]! & (1 << (id & 31))) !== 0;
  // Zobrist hashing of the linearized set; the memo checks the bits too, so collisions are safe.
  const rng = new Prng(0x5eed);
  const zobrist = Array.from({ length: ops.length }, () => [rng.nextUint32(), rng.nextUint32()] as const);
  let h1 = 0;
  let h2 = 0;
  const memo = new Map<string, Uint32Array[]>();
  let memoEntries = 0;
  const seen = (key: string): boolean => {
    const list = memo.get(key);
    if (list !== undefined) {
      for (const b of list) {
        let same = true;
        for (let i = 0; i < words; i++) {
          if (b[i] !== bits[i]) {
            same = false;
            break;
          }
        }
        if (same) return true;
      }
    }
    memoEntries++;
    if (list === undefined) memo.set(key, [bits.slice()]);
    else list.push(bits.slice());
    return false;
  };
  const flip = (id: number): void => {
    bits[id >>> 5]! ^= 1 << (id & 31);
    h1 = (h1 ^ zobrist[id]![0]) >>> 0;
    h2 = (h2 ^ zobrist[id]![1]) >>> 0;
  };

  let state: ModelState = ABSENT;
  let top = null as Linearized | null;
  let deepest: SearchResult["deepest"];
  let deepestDepth = -1;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null && entry !== null) {
    if (++steps > maxSteps || memoEntries > maxMemo)
      return { outcome: "unknown", steps, deepest, deepestDepth };
    if ((steps & 0xffff) === 0) yield;
    if (entry.call) {
      const op = ops[entry.id]!;
      const before = previousDelete[entry.id]!;
      let next = before >= 0 && !isSet(before) ? null : step(state, op, revOf);
      // An indeterminate operation that would change nothing now (a CAS whose compare fails, a
      // delete of an absent key) is better left for later: it may still take effect, or never.
      if (next !== null && op.status === "info" && next.value === state.value && next.rev === state.rev)
        next = null;
      if (next !== null) {
        flip(entry.id);
        if (!seen(`${h1},${h2},${stateKey(next)}`)) {
          const parent: Linearized | null = top;
          // A read that fits now is placed now: it changes no state, so any order that places it
          // later stays valid with it moved here (everything that had to precede it already is).
          // Backtracking therefore never tries "not now" for it (Lowe's read optimization).
          const early = op.status === "ok" && next.value === state.value && next.rev === state.rev;
          top = { entry, before: state, parent, depth: parent === null ? 1 : parent.depth + 1, early };
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        flip(entry.id);
      }
      entry = entry.next;
    } else if (entry.time === Number.POSITIVE_INFINITY) {
      // Only indeterminate operations are left: each may never take effect. Done.
      return { outcome: "ok", steps };
    } else {
      // The operation returning here was not linearized before its return: undo the last choice.
      const depth = top === null ? 0 : top.depth;
      if (deepest === undefined || depth > deepestDepth) {
        deepest = { top, state, blocked: entry.id };
        deepestDepth = depth;
      }
      let undo: Linearized;
      do {
        if (top === null) return { outcome: "violation", steps, deepest };
        undo = top;
        top = undo.parent;
        state = undo.before;
        flip(undo.entry.id);
        unlift(undo.entry);
      } while (undo.early);
      entry = undo.entry.next;
    }
  }
  return { outcome: "ok", steps };
}

function describeState(s: ModelState): string {
  if (s.value === null) return "absent";
  return `${JSON.stringify(s.value)}@${s.rev === UNKNOWN_REV ? "?" : s.rev}`;
}

function explain(
  key: string,
  ops: readonly Operation[],
  r: SearchResult,
  revOf: (v: string) => number,
): Violation {
  const d = r.deepest!;
  const order: number[] = [];
  for (let l = d.top; l !== null; l = l.parent) order.push(l.entry.id);
  order.reverse();
  const done = new Set(order);
  const blocked = ops[d.blocked]!;
  const before = ops
    .filter((op) => op.input.f !== "get" && op.status === "ok" && op.completeMs < blocked.invokeMs)
    .sort((a, b) => a.completeMs - b.completeMs)
    .slice(-5);
  const concurrent = ops.filter(
    (op) => op !== blocked && op.invokeMs < blocked.completeMs && op.completeMs > blocked.invokeMs,
  );
  const lines = [
    `key ${key}: not linearizable — no order of its ${ops.length} operations respects both real time and`,
    `the register's semantics. The operation that cannot be placed:`,
    `  ${describeOp(blocked)}`,
  ];
  if (before.length > 0) {
    lines.push(`the last writes acknowledged before it was invoked (so they precede it):`);
    for (const op of before) lines.push(`  ${describeOp(op)}`);
  }
  if (concurrent.length > 0) {
    lines.push(`operations concurrent with it (may fall on either side):`);
    for (const op of concurrent.slice(0, 12)) lines.push(`  ${describeOp(op)}`);
    if (concurrent.length > 12) lines.push(`  … and ${concurrent.length - 12} more`);
  }
  const tail = order.slice(-6).map((i) => ops[i]!);
  lines.push(
    `the longest valid order the search found covers ${order.length} operations and ends in state ` +
      `${describeState(d.state)}; its last operations:`,
  );
  for (const op of tail) lines.push(`  ${describeOp(op)}`);
  const pending = ops.filter((op, i) => !done.has(i) && op !== blocked && op.invokeMs < blocked.completeMs);
  if (pending.length > 0) {
    lines.push(`not yet placed then, and what each would do in that state:`);
    for (const op of pending.slice(0, 8)) {
      const next = step(d.state, op, revOf);
      lines.push(`  ${describeOp(op)}  [${next === null ? "impossible" : `→ ${describeState(next)}`}]`);
    }
    if (pending.length > 8) lines.push(`  … and ${pending.length - 8} more`);
  }
  return {
    key,
    kind: "not-linearizable",
    explanation: lines.join("\n"),
    opIds: [blocked.id, ...before.map((op) => op.id), ...concurrent.slice(0, 12).map((op) => op.id)],
  };
}

/**
 * Whether indeterminate puts and CAS whose value nobody read can be left out. They can when every
 * completed operation observes the key's state (a get its value, a put or delete its prev_kv, a
 * successful CAS its compare, a failed CAS its failure-branch read): then a state holding a value
 * nobody read admits no completed operation, so such a write, if applied, is overwritten by another
 * indeterminate write before anything completes — leaving it out (and moving the no-op CAS between
 * to the end) is an equally valid order. Without this the search is exponential in them.
 */
function everyOutcomeObserves(ops: readonly Operation[]): boolean {
  return ops.every(
    (op) => op.status !== "ok" || op.output?.f !== "cas" || op.output.succeeded || op.output.cur !== null,
  );
}

function* checkKeyGen(
  key: string,
  all: readonly Operation[],
  options: CheckOptions,
): Generator<void, KeyResult> {
  const pre = prePass(key, all);
  if (pre.violation !== undefined)
    return { key, ops: all.length, outcome: "violation", steps: 0, violation: pre.violation };
  const drop = options.neverApplied;
  const prune = everyOutcomeObserves(all);
  const ops = all.filter((op) => {
    if (op.status === "fail") return false;
    if (op.status !== "info") return true;
    const v = op.input.f === "put" || op.input.f === "cas" ? op.input.value : null;
    if (v === null || pre.observedValues.has(v)) return true;
    return !(prune || drop?.has(op.id));
  });
  // An indeterminate write that someone read took effect before that read completed: that is its
  // deadline, which takes it out of the search's way once it is due.
  const bounded = ops.map((op) => {
    const v = op.input.f === "put" || op.input.f === "cas" ? op.input.value : null;
    const due = v === null ? undefined : pre.seenBy.get(v);
    return op.status === "info" && due !== undefined ? { ...op, completeMs: due } : op;
  });
  const revOf = (v: string): number => pre.revOf.get(v) ?? UNKNOWN_REV;
  const r = yield* search(
    bounded,
    revOf,
    options.maxStepsPerKey ?? 20_000_000,
    // Each memo entry holds a copy of the linearized set: bound the memo to about 1.5 GB.
    options.maxMemoEntriesPerKey ?? Math.min(2_000_000, Math.floor(1.5e9 / (ops.length / 8 + 96))),
  );
  if (r.outcome === "unknown")
    return { key, ops: ops.length, outcome: r.outcome, steps: r.steps, deepest: r.deepestDepth ?? 0 };
  if (r.outcome === "ok") return { key, ops: ops.length, outcome: r.outcome, steps: r.steps };
  return {
    key,
    ops: ops.length,
    outcome: "violation",
    steps: r.steps,
    violation: explain(key, ops, r, revOf),
  };
}

function byKey(ops: readonly Operation[]): [string, Operation[]][] {
  const m = new Map<string, Operation[]>();
  for (const op of ops) {
    const list = m.get(op.key);
    if (list === undefined) m.set(op.key, [op]);
    else list.push(op);
  }
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function result(keys: KeyResult[]): CheckResult {
  const violations = keys.flatMap((k) => (k.violation !== undefined ? [k.violation] : []));
  const unknownKeys = keys.filter((k) => k.outcome === "unknown").map((k) => k.key);
  return { ok: violations.length === 0 && unknownKeys.length === 0, keys, violations, unknownKeys };
}

/** Checks one key's operations (all on `key`). */
export function checkKey(key: string, ops: readonly Operation[], options: CheckOptions = {}): KeyResult {
  const gen = checkKeyGen(key, ops, options);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** Checks a whole history, key by key. */
export function checkHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  return result(byKey(ops).map(([k, list]) => checkKey(k, list, options)));
}

/** checkHistory that lets the event loop run while it searches (signals, timers). */
export async function checkHistoryAsync(
  ops: readonly Operation[],
  options: CheckOptions = {},
): Promise<CheckResult> {
  const keys: KeyResult[] = [];
  for (const [k, list] of byKey(ops)) {
    const gen = checkKeyGen(k, list, options);
    for (;;) {
      const r = gen.next();
      if (r.done) {
        keys.push(r.value);
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return result(keys);
}
