// Checks the API layer runs on a request BEFORE proposing it, so a request etcd would refuse never
// enters the Raft log. Same rules, same order and same messages as etcd's
// server/etcdserver/api/v3rpc/key.go, plus etcd's proposal size limit.
import { COMMAND_HEADER_BYTES } from "./command.js";
import { KvError } from "./errors.js";
export const DEFAULT_KV_LIMITS = { maxTxnOps: 128, maxRequestBytes: 1.5 * 1024 * 1024 };
export function validateRange(req, _limits = DEFAULT_KV_LIMITS) {
    checkRange(req);
}
export function validatePut(req, limits = DEFAULT_KV_LIMITS) {
    checkPut(req);
    checkSize(putSize(req), limits);
}
export function validateDeleteRange(req, limits = DEFAULT_KV_LIMITS) {
    checkDeleteRange(req);
    checkSize(deleteRangeSize(req), limits);
}
export function validateTxn(req, limits = DEFAULT_KV_LIMITS) {
    checkTxn(req, limits.maxTxnOps);
    checkSize(txnSize(req), limits);
    // After the cheap checks, as etcd does, so a huge request cannot make this quadratic walk.
    checkIntervals(req.success);
    checkIntervals(req.failure);
}
function checkSize(requestBytes, limits) {
    if (COMMAND_HEADER_BYTES + requestBytes > limits.maxRequestBytes)
        throw new KvError("RAFTKV_REQUEST_TOO_LARGE");
}
function checkRange(req) {
    if (req.key.length === 0)
        throw new KvError("RAFTKV_KEY_NOT_PROVIDED");
}
function checkPut(req) {
    if (req.key.length === 0)
        throw new KvError("RAFTKV_KEY_NOT_PROVIDED");
    if (req.ignoreValue && req.value.length !== 0)
        throw new KvError("RAFTKV_VALUE_PROVIDED");
    if (req.ignoreLease && req.lease !== 0)
        throw new KvError("RAFTKV_LEASE_PROVIDED");
}
function checkDeleteRange(req) {
    if (req.key.length === 0)
        throw new KvError("RAFTKV_KEY_NOT_PROVIDED");
}
function checkTxn(req, maxTxnOps) {
    const opCount = Math.max(req.compare.length, req.success.length, req.failure.length);
    if (opCount > maxTxnOps)
        throw new KvError("RAFTKV_TOO_MANY_TXN_OPS");
    for (const c of req.compare) {
        if (c.key.length === 0)
            throw new KvError("RAFTKV_KEY_NOT_PROVIDED");
    }
    // A nested txn shares the budget of its parent, as in etcd.
    for (const op of req.success)
        checkOp(op, maxTxnOps - opCount);
    for (const op of req.failure)
        checkOp(op, maxTxnOps - opCount);
}
function checkOp(op, maxTxnOps) {
    if (op.requestRange)
        checkRange(op.requestRange);
    else if (op.requestPut)
        checkPut(op.requestPut);
    else if (op.requestDeleteRange)
        checkDeleteRange(op.requestDeleteRange);
    else if (op.requestTxn)
        checkTxn(op.requestTxn, maxTxnOps);
    // An empty op: etcd answers "key not found".
    else
        throw new KvError("RAFTKV_KEY_NOT_FOUND");
}
function intersects(intervals, key) {
    return intervals.some((i) => i.low <= key && (i.high === "" || key < i.high));
}
/**
 * A key may not be put twice, nor put and deleted, in one txn; a put in both branches of a nested
 * txn is fine (only one runs). Keys are compared as latin1 strings, which order like bytes.
 *
 * Like etcd, a delete's range_end is taken literally: "\0" ("every key >= key") makes an interval
 * that holds no key, so etcd does not see a put under such a delete as a conflict, and neither do
 * we (applying both is well defined: they run in order within the revision).
 */
function checkIntervals(ops) {
    const dels = [];
    for (const op of ops) {
        const del = op.requestDeleteRange;
        if (!del)
            continue;
        const low = del.key.toString("latin1");
        dels.push({ low, high: del.rangeEnd.length === 0 ? low + "\0" : del.rangeEnd.toString("latin1") });
    }
    const puts = new Set();
    for (const op of ops) {
        if (!op.requestTxn)
            continue;
        const then = checkIntervals(op.requestTxn.success);
        const otherwise = checkIntervals(op.requestTxn.failure);
        for (const key of then.puts) {
            if (puts.has(key) || intersects(dels, key))
                throw new KvError("RAFTKV_DUPLICATE_KEY");
            puts.add(key);
        }
        for (const key of otherwise.puts) {
            if ((puts.has(key) && !then.puts.has(key)) || intersects(dels, key)) {
                throw new KvError("RAFTKV_DUPLICATE_KEY");
            }
            puts.add(key);
        }
        dels.push(...then.dels, ...otherwise.dels);
    }
    for (const op of ops) {
        if (!op.requestPut)
            continue;
        const key = op.requestPut.key.toString("latin1");
        if (puts.has(key) || intersects(dels, key))
            throw new KvError("RAFTKV_DUPLICATE_KEY");
        puts.add(key);
    }
    return { puts, dels };
}
// ---- Exact protobuf encoded sizes (proto3: default scalars are not written, oneof members and
// present sub-messages are). ----
function varintSize(value) {
    if (value < 0)
        return 10; // a negative int64 is sign-extended to 10 bytes
    let size = 1;
    let rest = value;
    while (rest >= 128) {
        rest = Math.floor(rest / 128);
        size++;
    }
    return size;
}
function tagSize(field) {
    return varintSize(field << 3);
}
function bytesField(field, bytes) {
    return bytes.length === 0 ? 0 : tagSize(field) + varintSize(bytes.length) + bytes.length;
}
function intField(field, value) {
    return value === 0 ? 0 : tagSize(field) + varintSize(value);
}
function boolField(field, value) {
    return value ? tagSize(field) + 1 : 0;
}
function messageField(field, size) {
    return tagSize(field) + varintSize(size) + size;
}
function enumField(field, value, names) {
    return intField(field, typeof value === "number" ? value : Math.max(0, names.indexOf(value)));
}
const SORT_ORDERS = ["NONE", "ASCEND", "DESCEND"];
const SORT_TARGETS = ["KEY", "VERSION", "CREATE", "MOD", "VALUE"];
const COMPARE_RESULTS = ["EQUAL", "GREATER", "LESS", "NOT_EQUAL"];
const COMPARE_TARGETS = ["VERSION", "CREATE", "MOD", "VALUE", "LEASE"];
export function putSize(req) {
    return (bytesField(1, req.key) +
        bytesField(2, req.value) +
        intField(3, req.lease) +
        boolField(4, req.prevKv) +
        boolField(5, req.ignoreValue) +
        boolField(6, req.ignoreLease));
}
export function deleteRangeSize(req) {
    return bytesField(1, req.key) + bytesField(2, req.rangeEnd) + boolField(3, req.prevKv);
}
export function rangeSize(req) {
    return (bytesField(1, req.key) +
        bytesField(2, req.rangeEnd) +
        intField(3, req.limit) +
        intField(4, req.revision) +
        enumField(5, req.sortOrder, SORT_ORDERS) +
        enumField(6, req.sortTarget, SORT_TARGETS) +
        boolField(7, req.serializable) +
        boolField(8, req.keysOnly) +
        boolField(9, req.countOnly) +
        intField(10, req.minModRevision) +
        intField(11, req.maxModRevision) +
        intField(12, req.minCreateRevision) +
        intField(13, req.maxCreateRevision));
}
function compareSize(c) {
    let size = enumField(1, c.result, COMPARE_RESULTS) +
        enumField(2, c.target, COMPARE_TARGETS) +
        bytesField(3, c.key) +
        bytesField(64, c.rangeEnd);
    // The oneof member that is set is written even when zero.
    if (c.version !== undefined)
        size += tagSize(4) + varintSize(c.version);
    if (c.createRevision !== undefined)
        size += tagSize(5) + varintSize(c.createRevision);
    if (c.modRevision !== undefined)
        size += tagSize(6) + varintSize(c.modRevision);
    if (c.value !== undefined)
        size += tagSize(7) + varintSize(c.value.length) + c.value.length;
    if (c.lease !== undefined)
        size += tagSize(8) + varintSize(c.lease);
    return size;
}
function requestOpSize(op) {
    if (op.requestRange)
        return messageField(1, rangeSize(op.requestRange));
    if (op.requestPut)
        return messageField(2, putSize(op.requestPut));
    if (op.requestDeleteRange)
        return messageField(3, deleteRangeSize(op.requestDeleteRange));
    if (op.requestTxn)
        return messageField(4, txnSize(op.requestTxn));
    return 0;
}
export function txnSize(req) {
    let size = 0;
    for (const c of req.compare)
        size += messageField(1, compareSize(c));
    for (const op of req.success)
        size += messageField(2, requestOpSize(op));
    for (const op of req.failure)
        size += messageField(3, requestOpSize(op));
    return size;
}
//# sourceMappingURL=validate.js.map