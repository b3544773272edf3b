/** Anything the client accepts as bytes: strings are UTF-8. */
export type Bytes = string | Buffer | Uint8Array;
/** range_end "\0": every key >= key (and with key "\0": every key). */
export declare const ALL_KEYS_END: Buffer;
export declare function toBuffer(bytes: Bytes | undefined): Buffer;
/**
 * The range_end that selects every key starting with `prefix`: the prefix with its last byte
 * below 0xff incremented and what follows dropped; "\0" (every key) when there is no such byte.
 */
export declare function prefixEnd(prefix: Buffer): Buffer;
export interface RangeSelector {
    /** Every key with this prefix (key "" with prefix: every key). */
    prefix?: boolean;
    /** Every key >= key. */
    fromKey?: boolean;
    /** Explicit exclusive end of the range. */
    rangeEnd?: Bytes;
}
/** [key, rangeEnd) for a selector; key "" with prefix or fromKey selects every key, as in etcdctl. */
export declare function rangeOf(key: Bytes, selector: RangeSelector | undefined): {
    key: Buffer;
    rangeEnd: Buffer;
};
