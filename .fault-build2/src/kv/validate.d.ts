import type { DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest } from "./types.js";
export interface KvLimits {
    /** Most operations in one txn level (etcd --max-txn-ops, default 128). */
    maxTxnOps: number;
    /** Largest proposal, command header included (etcd --max-request-bytes, default 1.5 MiB). */
    maxRequestBytes: number;
}
export declare const DEFAULT_KV_LIMITS: Readonly<KvLimits>;
export declare function validateRange(req: RangeRequest, _limits?: KvLimits): void;
export declare function validatePut(req: PutRequest, limits?: KvLimits): void;
export declare function validateDeleteRange(req: DeleteRangeRequest, limits?: KvLimits): void;
export declare function validateTxn(req: TxnRequest, limits?: KvLimits): void;
export declare function putSize(req: PutRequest): number;
export declare function deleteRangeSize(req: DeleteRangeRequest): number;
export declare function rangeSize(req: RangeRequest): number;
export declare function txnSize(req: TxnRequest): number;
