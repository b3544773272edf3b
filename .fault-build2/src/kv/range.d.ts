import type { KeyValue, RangeRequest, RangeResponse } from "./types.js";
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
export declare const EMPTY_BYTES: Buffer;
/**
 * etcd's reading of key/range_end: range_end empty = the key alone; range_end "\0" = every key
 * >= key (so key "\0" with range_end "\0" = every key); otherwise [key, range_end), empty when
 * range_end <= key.
 */
export declare function keyBounds(key: Buffer, rangeEnd: Buffer): KeyBounds;
/** True when no key can be in the bounds. */
export declare function boundsEmpty(bounds: KeyBounds): boolean;
/**
 * How many kvs (in key order) a scan must hand to finishRange. etcd fetches everything when the
 * request sorts (sort_order set) or filters, else limit + 1 to learn `more`; count_only needs none.
 */
export declare function collectLimit(req: RangeRequest): number;
/**
 * Builds the response from the kvs a scan collected (key order, at most collectLimit(req)) and
 * `count`, the number of keys in the range (before limit and filters, as etcd counts).
 * The kvs are not mutated; with keys_only, copies without value are returned.
 */
export declare function finishRange(req: RangeRequest, collected: KeyValue[], count: number, revision: number): RangeResponse;
