// Key and range helpers shared by the client's calls and builders.
const EMPTY = Buffer.alloc(0);
/** range_end "\0": every key >= key (and with key "\0": every key). */
export const ALL_KEYS_END = Buffer.from([0]);
export function toBuffer(bytes) {
    if (bytes === undefined)
        return EMPTY;
    if (typeof bytes === "string")
        return Buffer.from(bytes, "utf8");
    if (Buffer.isBuffer(bytes))
        return bytes;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
/**
 * The range_end that selects every key starting with `prefix`: the prefix with its last byte
 * below 0xff incremented and what follows dropped; "\0" (every key) when there is no such byte.
 */
export function prefixEnd(prefix) {
    for (let i = prefix.length - 1; i >= 0; i--) {
        const byte = prefix[i];
        if (byte < 0xff) {
            const end = Buffer.from(prefix.subarray(0, i + 1));
            end[i] = byte + 1;
            return end;
        }
    }
    return ALL_KEYS_END;
}
/** [key, rangeEnd) for a selector; key "" with prefix or fromKey selects every key, as in etcdctl. */
export function rangeOf(key, selector) {
    let start = toBuffer(key);
    if (selector === undefined)
        return { key: start, rangeEnd: EMPTY };
    if (selector.rangeEnd !== undefined)
        return { key: start, rangeEnd: toBuffer(selector.rangeEnd) };
    if (selector.prefix === true || selector.fromKey === true) {
        if (start.length === 0) {
            start = ALL_KEYS_END;
            return { key: start, rangeEnd: ALL_KEYS_END };
        }
        return { key: start, rangeEnd: selector.prefix === true ? prefixEnd(start) : ALL_KEYS_END };
    }
    return { key: start, rangeEnd: EMPTY };
}
//# sourceMappingURL=keys.js.map