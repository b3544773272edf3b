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
import { rangeOf, toBuffer } from "./keys.js";
const RESULT_OF = {
    "=": "EQUAL",
    "!=": "NOT_EQUAL",
    ">": "GREATER",
    "<": "LESS",
};
function compare(target, key, operator, range) {
    const result = RESULT_OF[operator];
    if (result === undefined)
        throw new TypeError(`unknown compare operator ${JSON.stringify(operator)}`);
    const selected = rangeOf(key, range);
    const input = { result, target, key: selected.key };
    if (selected.rangeEnd.length > 0)
        input.rangeEnd = selected.rangeEnd;
    return input;
}
/** Comparisons: cmp.value("k", "=", "v"), cmp.version("k", ">", 0), ... */
export const cmp = {
    value(key, operator, value, range) {
        return { ...compare("VALUE", key, operator, range), value: toBuffer(value) };
    },
    version(key, operator, version, range) {
        return { ...compare("VERSION", key, operator, range), version };
    },
    createRevision(key, operator, revision, range) {
        return { ...compare("CREATE", key, operator, range), createRevision: revision };
    },
    modRevision(key, operator, revision, range) {
        return { ...compare("MOD", key, operator, range), modRevision: revision };
    },
    lease(key, operator, lease, range) {
        return { ...compare("LEASE", key, operator, range), lease };
    },
};
export function rangeRequest(key, options = {}) {
    const { prefix: _prefix, fromKey: _fromKey, rangeEnd: _rangeEnd, ...rest } = options;
    return { ...rest, ...rangeOf(key, options) };
}
export function putRequest(key, value, options = {}) {
    return { ...options, key: toBuffer(key), value: toBuffer(value) };
}
export function deleteRequest(key, options = {}) {
    const request = rangeOf(key, options);
    if (options.prevKv === true)
        request.prevKv = true;
    return request;
}
/** Operations of a transaction branch: op.get(k), op.put(k, v), op.delete(k), op.txn({...}). */
export const op = {
    get(key, options) {
        return { requestRange: rangeRequest(key, options) };
    },
    put(key, value, options) {
        return { requestPut: putRequest(key, value, options) };
    },
    delete(key, options) {
        return { requestDeleteRange: deleteRequest(key, options) };
    },
    txn(txn) {
        return { requestTxn: txn };
    },
};
//# sourceMappingURL=txn.js.map