// The recorded history of a fault run: every client operation with its invoke and complete times
// (monotonic milliseconds since the run began) and what came back.
//
// status:
//   ok    the operation completed and its result is known.
//   fail  a write that surely did not take effect (refused before it was proposed, or never sent);
//         a read that failed is not recorded at all (it has no effect to account for).
//   info  a write whose outcome is unknown (timeout, connection lost, leader changed): it may take
//         effect at any time after its invocation, or never.
//
// Every put and CAS writes a value no other operation writes, so a value read names the write
// that produced it.

import { performance } from "node:perf_hooks";

/** A key's state as a read sees it: the value (null: absent) and its mod revision (0 if absent). */
export interface Observed {
  readonly value: string | null;
  readonly rev: number;
}

export type KvInput =
  | { readonly f: "get" }
  | { readonly f: "put"; readonly value: string }
  | { readonly f: "delete" }
  /** Txn: compare value(key) = expect, then put value; else get key. */
  | { readonly f: "cas"; readonly cmp: "value"; readonly expect: string; readonly value: string }
  /** Txn: compare mod_revision(key) = expect, then put value; else get key. */
  | { readonly f: "cas"; readonly cmp: "rev"; readonly expect: number; readonly value: string };

export type KvOutput =
  /** rev: the revision the read was served at (response header), when known. */
  | { readonly f: "get"; readonly obs: Observed; readonly rev?: number }
  /** rev: the put's revision (response header); prev: the state it replaced (prev_kv). */
  | { readonly f: "put"; readonly rev: number; readonly prev: Observed }
  | { readonly f: "delete"; readonly rev: number; readonly deleted: number; readonly prev: Observed }
  /** rev: the txn's revision (response header); cur: on failure, what the failure branch's get saw. */
  | { readonly f: "cas"; readonly rev: number; readonly succeeded: boolean; readonly cur: Observed | null };

export type OpStatus = "ok" | "fail" | "info";

export interface Operation {
  readonly id: number;
  readonly client: number;
  readonly key: string;
  readonly input: KvInput;
  status: OpStatus;
  output: KvOutput | null;
  readonly invokeMs: number;
  /** When the answer (or the error) came back; an info op may still take effect later. */
  completeMs: number;
  /** The node the request was sent to. */
  readonly node: string;
  error?: string;
}

/** The value an operation writes, if it writes one. */
export function writtenValue(input: KvInput): string | null {
  return input.f === "put" || input.f === "cas" ? input.value : null;
}

export function isWrite(input: KvInput): boolean {
  return input.f !== "get";
}

export class HistoryRecorder {
  readonly ops: Operation[] = [];
  readonly #origin = performance.now();
  #nextId = 0;

  now(): number {
    return performance.now() - this.#origin;
  }

  invoke(client: number, key: string, input: KvInput, node: string): Operation {
    const op: Operation = {
      id: this.#nextId++,
      client,
      key,
      input,
      status: "info",
      output: null,
      invokeMs: this.now(),
      completeMs: Number.POSITIVE_INFINITY,
      node,
    };
    this.ops.push(op);
    return op;
  }

  ok(op: Operation, output: KvOutput): void {
    op.completeMs = this.now();
    op.status = "ok";
    op.output = output;
  }

  /** A failed read is dropped; a failed write is `fail` when surely not applied, else `info`. */
  failed(op: Operation, error: string, surelyNotApplied: boolean): void {
    op.completeMs = this.now();
    op.error = error;
    if (!isWrite(op.input)) {
      const i = this.ops.lastIndexOf(op);
      if (i >= 0) this.ops.splice(i, 1);
      return;
    }
    op.status = surelyNotApplied ? "fail" : "info";
  }
}

export function describeObserved(o: Observed): string {
  return o.value === null ? "absent" : `${JSON.stringify(o.value)}@${o.rev}`;
}

/** One line per operation, for reports. */
export function describeOp(op: Operation): string {
  const t = `[${op.invokeMs.toFixed(1)}, ${Number.isFinite(op.completeMs) ? op.completeMs.toFixed(1) : "∞"}] ms`;
  const who = `#${op.id} c${op.client}@${op.node}`;
  const i = op.input;
  let call: string;
  switch (i.f) {
    case "get":
      call = `get(${op.key})`;
      break;
    case "put":
      call = `put(${op.key}, ${JSON.stringify(i.value)})`;
      break;
    case "delete":
      call = `delete(${op.key})`;
      break;
    case "cas":
      call = `cas(${op.key}, ${i.cmp === "value" ? `value=${JSON.stringify(i.expect)}` : `mod_rev=${i.expect}`} → ${JSON.stringify(i.value)})`;
      break;
  }
  let result: string;
  if (op.status === "fail") result = `FAILED (not applied): ${op.error ?? ""}`;
  else if (op.status === "info") result = `INDETERMINATE: ${op.error ?? ""}`;
  else {
    const o = op.output!;
    switch (o.f) {
      case "get":
        result = `${describeObserved(o.obs)}${o.rev === undefined ? "" : ` (served at rev ${o.rev})`}`;
        break;
      case "put":
        result = `ok rev ${o.rev}, prev ${describeObserved(o.prev)}`;
        break;
      case "delete":
        result = `ok rev ${o.rev}, deleted ${o.deleted}, prev ${describeObserved(o.prev)}`;
        break;
      case "cas":
        result = o.succeeded
          ? `succeeded rev ${o.rev}`
          : `failed, current ${o.cur === null ? "?" : describeObserved(o.cur)}`;
        break;
    }
  }
  return `${who} ${call} → ${result} ${t}`;
}
