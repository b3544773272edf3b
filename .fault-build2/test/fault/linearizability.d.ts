import { type Operation } from "./history.js";
/** A key's model state. rev: the mod revision, 0 when absent, UNKNOWN_REV when not known. */
export interface ModelState {
    readonly value: string | null;
    readonly rev: number;
}
export declare const ABSENT: ModelState;
export type ViolationKind = "not-linearizable" | "phantom-value" | "failed-write-applied" | "written-twice";
export interface Violation {
    readonly key: string;
    readonly kind: ViolationKind;
    /** A few lines a human reads first. */
    readonly explanation: string;
    /** The operations the explanation names. */
    readonly opIds: readonly number[];
}
export interface KeyResult {
    readonly key: string;
    readonly ops: number;
    readonly outcome: "ok" | "violation" | "unknown";
    readonly steps: number;
    readonly violation?: Violation;
}
export interface CheckResult {
    readonly ok: boolean;
    readonly keys: readonly KeyResult[];
    readonly violations: readonly Violation[];
    /** Keys whose search hit the step budget: neither proven nor refuted. */
    readonly unknownKeys: readonly string[];
}
export interface CheckOptions {
    /**
     * Indeterminate writes known not to have taken effect (e.g. absent from the store's own history
     * after the run): left out of the search. A write whose value a client read is never left out.
     */
    readonly neverApplied?: ReadonlySet<number>;
    /** Search steps per key before giving up with "unknown". Default 20 million. */
    readonly maxStepsPerKey?: number;
    /** Memo entries per key before giving up with "unknown" (bounds memory). Default 2 million. */
    readonly maxMemoEntriesPerKey?: number;
}
/**
 * The model: the state after `op` takes effect in state `s`, or null when the outcome `op`
 * reported is impossible in `s`. `revOf` gives the revision of an indeterminate write's value
 * when some read saw it.
 */
export declare function step(s: ModelState, op: Operation, revOf: (value: string) => number): ModelState | null;
/** Checks one key's operations (all on `key`). */
export declare function checkKey(key: string, ops: readonly Operation[], options?: CheckOptions): KeyResult;
/** Checks a whole history, key by key. */
export declare function checkHistory(ops: readonly Operation[], options?: CheckOptions): CheckResult;
/** checkHistory that lets the event loop run while it searches (signals, timers). */
export declare function checkHistoryAsync(ops: readonly Operation[], options?: CheckOptions): Promise<CheckResult>;
