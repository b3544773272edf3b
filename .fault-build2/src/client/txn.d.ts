import type { CompareResult, CompareTarget, SortOrder, SortTarget } from "../kv/types.js";
import { type Bytes, type RangeSelector } from "./keys.js";
export type CompareOperator = "=" | "!=" | ">" | "<";
export interface CompareInput {
    result: CompareResult;
    target: CompareTarget;
    key: Buffer;
    rangeEnd?: Buffer;
    version?: number;
    createRevision?: number;
    modRevision?: number;
    value?: Buffer;
    lease?: number;
}
export interface GetOptions extends RangeSelector {
    limit?: number;
    revision?: number;
    keysOnly?: boolean;
    countOnly?: boolean;
    serializable?: boolean;
    sortOrder?: SortOrder;
    sortTarget?: SortTarget;
    minModRevision?: number;
    maxModRevision?: number;
    minCreateRevision?: number;
    maxCreateRevision?: number;
}
export interface PutOptions {
    lease?: number;
    prevKv?: boolean;
    ignoreValue?: boolean;
    ignoreLease?: boolean;
}
export interface DeleteOptions extends RangeSelector {
    prevKv?: boolean;
}
/** Wire shapes of the requests, with the fields left out that take their default. */
export interface RangeRequestInput extends Omit<GetOptions, "prefix" | "fromKey" | "rangeEnd"> {
    key: Buffer;
    rangeEnd: Buffer;
}
export interface PutRequestInput extends PutOptions {
    key: Buffer;
    value: Buffer;
}
export interface DeleteRangeRequestInput {
    key: Buffer;
    rangeEnd: Buffer;
    prevKv?: boolean;
}
export interface RequestOpInput {
    requestRange?: RangeRequestInput;
    requestPut?: PutRequestInput;
    requestDeleteRange?: DeleteRangeRequestInput;
    requestTxn?: TxnInput;
}
export interface TxnInput {
    compare?: CompareInput[];
    success?: RequestOpInput[];
    failure?: RequestOpInput[];
}
/** Comparisons: cmp.value("k", "=", "v"), cmp.version("k", ">", 0), ... */
export declare const cmp: {
    value(key: Bytes, operator: CompareOperator, value: Bytes, range?: RangeSelector): CompareInput;
    version(key: Bytes, operator: CompareOperator, version: number, range?: RangeSelector): CompareInput;
    createRevision(key: Bytes, operator: CompareOperator, revision: number, range?: RangeSelector): CompareInput;
    modRevision(key: Bytes, operator: CompareOperator, revision: number, range?: RangeSelector): CompareInput;
    lease(key: Bytes, operator: CompareOperator, lease: number, range?: RangeSelector): CompareInput;
};
export declare function rangeRequest(key: Bytes, options?: GetOptions): RangeRequestInput;
export declare function putRequest(key: Bytes, value: Bytes, options?: PutOptions): PutRequestInput;
export declare function deleteRequest(key: Bytes, options?: DeleteOptions): DeleteRangeRequestInput;
/** Operations of a transaction branch: op.get(k), op.put(k, v), op.delete(k), op.txn({...}). */
export declare const op: {
    get(key: Bytes, options?: GetOptions): RequestOpInput;
    put(key: Bytes, value: Bytes, options?: PutOptions): RequestOpInput;
    delete(key: Bytes, options?: DeleteOptions): RequestOpInput;
    txn(txn: TxnInput): RequestOpInput;
};
