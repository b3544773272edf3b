// The public surface of the raftkv client.
export { EtcdClient, EtcdClientError, endpointAddress } from "./client.js";
export { LeaseClient } from "./lease.js";
export { ALL_KEYS_END, prefixEnd, rangeOf, toBuffer } from "./keys.js";
export { cmp, op, } from "./txn.js";
export { WatchStream } from "./watch.js";
//# sourceMappingURL=index.js.map