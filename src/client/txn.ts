// Builders of transaction comparisons and operations, in the spirit of clientv3's
// `Compare(Value(k), "=", v)` and `OpPut(k, v)`:
//
//   client.txn({
//     compare: [cmp.value("k", "=", "v1")],
//     success: [op.put("k", "v2")],
//     failure: [op.get("k")],
//   })
//
// A comparison sets only the operand its target names: the operand is a proto oneof, and setting
// another member (even to 0) would put it on the wire too.

import type { CompareResult, CompareTarget, SortOrder, SortTarget } from "../kv/types.js";
import { type Bytes, type RangeSelector, rangeOf, toBuffer } from "./keys.js";

export type CompareOperator = "=" | "!=" | ">" | "<";

const RESULT_OF: Readonly<Record<CompareOperator, CompareResult>> = {
  "=": "EQUAL",
  "!=": "NOT_EQUAL",
  ">": "GREATER",
  "<": "LESS",
};

export interface CompareInput {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  rangeEnd?: Buffer;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Buffer;
  lease?: number;
}

export interface GetOptions extends RangeSelector {
  limit?: number;
  revision?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  serializable?: boolean;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

export interface PutOptions {
  lease?: number;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface DeleteOptions extends RangeSelector {
  prevKv?: boolean;
}

/** Wire shapes of the requests, with the fields left out that take their default. */
export interface RangeRequestInput extends Omit<GetOptions, "prefix" | "fromKey" | "rangeEnd"> {
  key: Buffer;
  /** Absent for a single key: etcd 3.4 reads an empty range_end on the wire as "to the end". */
  rangeEnd?: Buffer;
}
export interface PutRequestInput extends PutOptions {
  key: Buffer;
  value: Buffer;
}
export interface DeleteRangeRequestInput {
  key: Buffer;
  /** Absent for a single key, as in RangeRequestInput. */
  rangeEnd?: Buffer;
  prevKv?: boolean;
}

export interface RequestOpInput {
  requestRange?: RangeRequestInput;
  requestPut?: PutRequestInput;
  requestDeleteRange?: DeleteRangeRequestInput;
  requestTxn?: TxnInput;
}

export interface TxnInput {
  compare?: CompareInput[];
  success?: RequestOpInput[];
  failure?: RequestOpInput[];
}

function compare(target: CompareTarget, key: Bytes, operator: CompareOperator, range?: RangeSelector) {
  const result = RESULT_OF[operator];
  if (result === undefined) throw new TypeError(`unknown compare operator ${JSON.stringify(operator)}`);
  const selected = rangeOf(key, range);
  const input: CompareInput = { result, target, key: selected.key };
  if (selected.rangeEnd.length > 0) input.rangeEnd = selected.rangeEnd;
  return input;
}

/** Comparisons: cmp.value("k", "=", "v"), cmp.version("k", ">", 0), ... */
export const cmp = {
  value(key: Bytes, operator: CompareOperator, value: Bytes, range?: RangeSelector): CompareInput {
    return { ...compare("VALUE", key, operator, range), value: toBuffer(value) };
  },
  version(key: Bytes, operator: CompareOperator, version: number, range?: RangeSelector): CompareInput {
    return { ...compare("VERSION", key, operator, range), version };
  },
  createRevision(
    key: Bytes,
    operator: CompareOperator,
    revision: number,
    range?: RangeSelector,
  ): CompareInput {
    return { ...compare("CREATE", key, operator, range), createRevision: revision };
  },
  modRevision(key: Bytes, operator: CompareOperator, revision: number, range?: RangeSelector): CompareInput {
    return { ...compare("MOD", key, operator, range), modRevision: revision };
  },
  lease(key: Bytes, operator: CompareOperator, lease: number, range?: RangeSelector): CompareInput {
    return { ...compare("LEASE", key, operator, range), lease };
  },
};

export function rangeRequest(key: Bytes, options: GetOptions = {}): RangeRequestInput {
  const { prefix: _prefix, fromKey: _fromKey, rangeEnd: _rangeEnd, ...rest } = options;
  const selected = rangeOf(key, options);
  const request: RangeRequestInput = { ...rest, key: selected.key };
  if (selected.rangeEnd.length > 0) request.rangeEnd = selected.rangeEnd;
  return request;
}

export function putRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequestInput {
  return { ...options, key: toBuffer(key), value: toBuffer(value) };
}

export function deleteRequest(key: Bytes, options: DeleteOptions = {}): DeleteRangeRequestInput {
  const selected = rangeOf(key, options);
  const request: DeleteRangeRequestInput = { key: selected.key };
  if (selected.rangeEnd.length > 0) request.rangeEnd = selected.rangeEnd;
  if (options.prevKv === true) request.prevKv = true;
  return request;
}

/** Operations of a transaction branch: op.get(k), op.put(k, v), op.delete(k), op.txn({...}). */
export const op = {
  get(key: Bytes, options?: GetOptions): RequestOpInput {
    return { requestRange: rangeRequest(key, options) };
  },
  put(key: Bytes, value: Bytes, options?: PutOptions): RequestOpInput {
    return { requestPut: putRequest(key, value, options) };
  },
  delete(key: Bytes, options?: DeleteOptions): RequestOpInput {
    return { requestDeleteRange: deleteRequest(key, options) };
  },
  txn(txn: TxnInput): RequestOpInput {
    return { requestTxn: txn };
  },
};
