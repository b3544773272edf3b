// Range semantics shared by reads at the latest revision (in memory) and at past revisions
// (LevelDB): key bounds, what to collect, then filter, sort, limit and shape the response exactly
// as etcd's server/etcdserver/txn/range.go does.

import type { KeyValue, RangeRequest, RangeResponse, SortOrder, SortTarget } from "./types.js";

/**
 * Keys as latin1 strings: one char per byte, so string order is byte order. `high` is exclusive;
 * null means no upper bound.
 */
export interface KeyBounds {
  low: string;
  high: string | null;
  /** range_end empty: the key alone. */
  single: boolean;
}

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/**
 * etcd's reading of key/range_end: range_end empty = the key alone; range_end "\0" = every key
 * >= key (so key "\0" with range_end "\0" = every key); otherwise [key, range_end), empty when
 * range_end <= key.
 */
export function keyBounds(key: Buffer, rangeEnd: Buffer): KeyBounds {
  const low = key.toString("latin1");
  if (rangeEnd.length === 0) return { low, high: null, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { low, high: null, single: false };
  return { low, high: rangeEnd.toString("latin1"), single: false };
}

/** True when no key can be in the bounds. */
export function boundsEmpty(bounds: KeyBounds): boolean {
  return bounds.high !== null && bounds.high <= bounds.low;
}

function hasFilters(req: RangeRequest): boolean {
  return (
    req.minModRevision !== 0 ||
    req.maxModRevision !== 0 ||
    req.minCreateRevision !== 0 ||
    req.maxCreateRevision !== 0
  );
}

/**
 * How many kvs (in key order) a scan must hand to finishRange. etcd fetches everything when the
 * request sorts (sort_order set) or filters, else limit + 1 to learn `more`; count_only needs none.
 */
export function collectLimit(req: RangeRequest): number {
  if (req.countOnly) return 0;
  if (req.sortOrder !== "NONE" || hasFilters(req)) return Number.POSITIVE_INFINITY;
  return req.limit > 0 ? req.limit + 1 : Number.POSITIVE_INFINITY;
}

const COMPARATORS: Record<SortTarget, (a: KeyValue, b: KeyValue) => number> = {
  KEY: (a, b) => Buffer.compare(a.key, b.key),
  VERSION: (a, b) => a.version - b.version,
  CREATE: (a, b) => a.createRevision - b.createRevision,
  MOD: (a, b) => a.modRevision - b.modRevision,
  VALUE: (a, b) => Buffer.compare(a.value, b.value),
};

/** etcd: no order with a target other than KEY means ascending; ascending by key is scan order. */
function effectiveOrder(order: SortOrder, target: SortTarget): SortOrder {
  if (order === "NONE" && target !== "KEY") return "ASCEND";
  if (order === "ASCEND" && target === "KEY") return "NONE";
  return order;
}

/** True when the response order depends on the values (they must be read before finishRange). */
export function sortsByValue(req: RangeRequest): boolean {
  return (
    !req.countOnly && req.sortTarget === "VALUE" && effectiveOrder(req.sortOrder, req.sortTarget) !== "NONE"
  );
}

/**
 * Builds the response from the kvs a scan collected (key order, at most collectLimit(req)) and
 * `count`, the number of keys in the range (before limit and filters, as etcd counts).
 * The kvs are not mutated; with keys_only, copies without value are returned.
 */
export function finishRange(
  req: RangeRequest,
  collected: KeyValue[],
  count: number,
  revision: number,
): RangeResponse {
  const header = { clusterId: 0, memberId: 0, revision, raftTerm: 0 };
  if (req.countOnly) return { header, kvs: [], more: false, count };
  let kvs = collected;
  if (req.maxModRevision !== 0) kvs = kvs.filter((kv) => kv.modRevision <= req.maxModRevision);
  if (req.minModRevision !== 0) kvs = kvs.filter((kv) => kv.modRevision >= req.minModRevision);
  if (req.maxCreateRevision !== 0) kvs = kvs.filter((kv) => kv.createRevision <= req.maxCreateRevision);
  if (req.minCreateRevision !== 0) kvs = kvs.filter((kv) => kv.createRevision >= req.minCreateRevision);
  const order = effectiveOrder(req.sortOrder, req.sortTarget);
  if (order !== "NONE") {
    const compare = COMPARATORS[req.sortTarget];
    // A stable sort: ties keep key order (etcd's sort is unstable; any tie order is etcd-valid).
    kvs = kvs === collected ? kvs.slice() : kvs;
    kvs.sort(order === "ASCEND" ? compare : (a, b) => compare(b, a));
  }
  let more = false;
  if (req.limit > 0 && kvs.length > req.limit) {
    kvs = kvs.slice(0, req.limit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
  return { header, kvs, more, count };
}
