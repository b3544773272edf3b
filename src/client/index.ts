// The public surface of the raftkv client.

export { EtcdClient, EtcdClientError, type EtcdClientOptions, endpointAddress } from "./client.js";
export { ALL_KEYS_END, type Bytes, prefixEnd, type RangeSelector, rangeOf, toBuffer } from "./keys.js";
export { LeaseClient, type LeaseClientOptions } from "./lease.js";
export {
  type CompareInput,
  type CompareOperator,
  cmp,
  type DeleteOptions,
  type GetOptions,
  op,
  type PutOptions,
  type RequestOpInput,
  type TxnInput,
} from "./txn.js";
export { type WatchOptions, WatchStream } from "./watch.js";
