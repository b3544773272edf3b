// Range semantics shared by reads at the latest revision (in memory) and at past revisions
// (LevelDB): key bounds, what to collect, then filter, sort, limit and shape the response exactly
// as etcd's server/etcdserver/txn/range.go does.
export const EMPTY_BYTES = Buffer.alloc(0);
/**
 * etcd's reading of key/range_end: range_end empty = the key alone; range_end "\0" = every key
 * >= key (so key "\0" with range_end "\0" = every key); otherwise [key, range_end), empty when
 * range_end <= key.
 */
export function keyBounds(key, rangeEnd) {
    const low = key.toString("latin1");
    if (rangeEnd.length === 0)
        return { low, high: null, single: true };
    if (rangeEnd.length === 1 && rangeEnd[0] === 0)
        return { low, high: null, single: false };
    return { low, high: rangeEnd.toString("latin1"), single: false };
}
/** True when no key can be in the bounds. */
export function boundsEmpty(bounds) {
    return bounds.high !== null && bounds.high <= bounds.low;
}
function hasFilters(req) {
    return (req.minModRevision !== 0 ||
        req.maxModRevision !== 0 ||
        req.minCreateRevision !== 0 ||
        req.maxCreateRevision !== 0);
}
/**
 * How many kvs (in key order) a scan must hand to finishRange. etcd fetches everything when the
 * request sorts (sort_order set) or filters, else limit + 1 to learn `more`; count_only needs none.
 */
export function collectLimit(req) {
    if (req.countOnly)
        return 0;
    if (req.sortOrder !== "NONE" || hasFilters(req))
        return Number.POSITIVE_INFINITY;
    return req.limit > 0 ? req.limit + 1 : Number.POSITIVE_INFINITY;
}
const COMPARATORS = {
    KEY: (a, b) => Buffer.compare(a.key, b.key),
    VERSION: (a, b) => a.version - b.version,
    CREATE: (a, b) => a.createRevision - b.createRevision,
    MOD: (a, b) => a.modRevision - b.modRevision,
    VALUE: (a, b) => Buffer.compare(a.value, b.value),
};
/** etcd: no order with a target other than KEY means ascending; ascending by key is scan order. */
function effectiveOrder(order, target) {
    if (order === "NONE" && target !== "KEY")
        return "ASCEND";
    if (order === "ASCEND" && target === "KEY")
        return "NONE";
    return order;
}
/**
 * Builds the response from the kvs a scan collected (key order, at most collectLimit(req)) and
 * `count`, the number of keys in the range (before limit and filters, as etcd counts).
 * The kvs are not mutated; with keys_only, copies without value are returned.
 */
export function finishRange(req, collected, count, revision) {
    const header = { clusterId: 0, memberId: 0, revision, raftTerm: 0 };
    if (req.countOnly)
        return { header, kvs: [], more: false, count };
    let kvs = collected;
    if (req.maxModRevision !== 0)
        kvs = kvs.filter((kv) => kv.modRevision <= req.maxModRevision);
    if (req.minModRevision !== 0)
        kvs = kvs.filter((kv) => kv.modRevision >= req.minModRevision);
    if (req.maxCreateRevision !== 0)
        kvs = kvs.filter((kv) => kv.createRevision <= req.maxCreateRevision);
    if (req.minCreateRevision !== 0)
        kvs = kvs.filter((kv) => kv.createRevision >= req.minCreateRevision);
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
    if (req.keysOnly)
        kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
    return { header, kvs, more, count };
}
//# sourceMappingURL=range.js.map