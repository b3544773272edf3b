/** A key's state as a read sees it: the value (null: absent) and its mod revision (0 if absent). */
export interface Observed {
    readonly value: string | null;
    readonly rev: number;
}
export type KvInput = {
    readonly f: "get";
} | {
    readonly f: "put";
    readonly value: string;
} | {
    readonly f: "delete";
}
/** Txn: compare value(key) = expect, then put value; else get key. */
 | {
    readonly f: "cas";
    readonly cmp: "value";
    readonly expect: string;
    readonly value: string;
}
/** Txn: compare mod_revision(key) = expect, then put value; else get key. */
 | {
    readonly f: "cas";
    readonly cmp: "rev";
    readonly expect: number;
    readonly value: string;
};
export type KvOutput = {
    readonly f: "get";
    readonly obs: Observed;
}
/** rev: the put's revision (response header); prev: the state it replaced (prev_kv). */
 | {
    readonly f: "put";
    readonly rev: number;
    readonly prev: Observed;
} | {
    readonly f: "delete";
    readonly rev: number;
    readonly deleted: number;
    readonly prev: Observed;
}
/** cur: on failure, what the failure branch's get saw. */
 | {
    readonly f: "cas";
    readonly rev: number;
    readonly succeeded: boolean;
    readonly cur: Observed | null;
};
export type OpStatus = "ok" | "fail" | "info";
export interface Operation {
    readonly id: number;
    readonly client: number;
    readonly key: string;
    readonly input: KvInput;
    status: OpStatus;
    output: KvOutput | null;
    readonly invokeMs: number;
    /** When the answer (or the error) came back; an info op may still take effect later. */
    completeMs: number;
    /** The node the request was sent to. */
    readonly node: string;
    error?: string;
}
/** The value an operation writes, if it writes one. */
export declare function writtenValue(input: KvInput): string | null;
export declare function isWrite(input: KvInput): boolean;
export declare class HistoryRecorder {
    #private;
    readonly ops: Operation[];
    now(): number;
    invoke(client: number, key: string, input: KvInput, node: string): Operation;
    ok(op: Operation, output: KvOutput): void;
    /** A failed read is dropped; a failed write is `fail` when surely not applied, else `info`. */
    failed(op: Operation, error: string, surelyNotApplied: boolean): void;
}
export declare function describeObserved(o: Observed): string;
/** One line per operation, for reports. */
export declare function describeOp(op: Operation): string;
