import { type EtcdClient } from "../../src/client/index.js";
import type { ResponseHeader } from "../../src/kv/types.js";
import type { HistoryRecorder } from "./history.js";
import type { Prng } from "./prng.js";
export interface WorkloadOptions {
    readonly clients: number;
    readonly keys: readonly string[];
    readonly nodeCount: number;
    /** A worker waits a random 0..2×thinkMs between operations (0: none). */
    readonly thinkMs: number;
    readonly clientFor: (worker: number, node: number) => EtcdClient;
    /** Throws unless a response header comes from that node of this cluster. */
    readonly checkHeader: (node: number, header: ResponseHeader | null | undefined) => void;
    readonly nodeName: (node: number) => string;
}
export interface WorkloadCounters {
    ok: number;
    fail: number;
    info: number;
    readsDropped: number;
    byKind: Record<string, {
        ok: number;
        fail: number;
        info: number;
    }>;
    casSucceeded: number;
    casFailed: number;
    /** Answers from a server that was not the node asked (its port taken over while it was down). */
    foreign: number;
}
/**
 * Errors that prove a write never took effect: the server refused it before proposing (no
 * leader, overloaded), or it never left this process (no connection).
 */
export declare function surelyNotApplied(err: unknown): boolean;
export declare function errorText(err: unknown): string;
export declare class Workload {
    #private;
    readonly counters: WorkloadCounters;
    constructor(options: WorkloadOptions, history: HistoryRecorder, rng: Prng);
    start(): void;
    /** Stops issuing operations and waits for those in flight. */
    stop(): Promise<void>;
}
