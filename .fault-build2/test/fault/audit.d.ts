import type { EtcdClient } from "../../src/client/index.js";
import type { FaultCluster, FaultNode } from "./cluster.js";
import { type Operation } from "./history.js";
export interface StoreEvent {
    readonly rev: number;
    readonly key: string;
    readonly type: "put" | "delete";
    readonly value: string | null;
}
/**
 * Every write to keys under `prefix`, in revision order, read from the node's Maintenance.Snapshot
 * stream (its whole KV keyspace): the "r" entries are every version of every key by revision
 * (src/kv/layout.ts). Reading a past revision through Range scans a key's whole history, so one
 * snapshot is far cheaper than a Range per revision. `digest` covers every revision entry, for
 * comparing nodes' complete histories (HashKV covers only the latest state).
 */
export declare function readStoreHistory(client: EtcdClient, endpoint: string, prefix: string): Promise<{
    events: StoreEvent[];
    digest: string;
    revisions: number;
}>;
export interface StoreAudit {
    readonly failures: string[];
    /** Indeterminate puts and CAS whose value is not in the store. */
    readonly neverApplied: Set<number>;
    readonly indeterminateApplied: number;
    readonly events: number;
}
export declare function auditStore(ops: readonly Operation[], events: readonly StoreEvent[]): StoreAudit;
export interface Convergence {
    readonly ok: boolean;
    readonly ms: number;
    readonly revision: number;
    readonly detail: string;
}
/** Polls HashKV on every node until all report the same hash at the same revision. */
export declare function waitForConvergence(cluster: FaultCluster, clients: ReadonlyMap<FaultNode, EtcdClient>, timeoutMs: number): Promise<Convergence>;
export interface Recovery {
    readonly ok: boolean;
    readonly ms: number;
    readonly detail: string;
}
/** Time until a write commits and every node serves a linearizable read of it. */
export declare function waitForRecovery(cluster: FaultCluster, clients: ReadonlyMap<FaultNode, EtcdClient>, probeKey: string, timeoutMs: number): Promise<Recovery>;
