import { type FaultKind } from "./nemesis.js";
export interface FaultRunOptions {
    readonly seed: number;
    /** How long the nemesis runs. */
    readonly timeMs: number;
    readonly nodes: number;
    readonly clients: number;
    readonly keys: number;
    /** proxy: loopback TCP proxies (always works); netns: namespaces (root); auto: netns if it works. */
    readonly net: "proxy" | "netns" | "auto";
    readonly tickMs: number;
    readonly electionTicks: number;
    readonly requestTimeoutMs: number;
    readonly clientTimeoutMs: number;
    readonly thinkMs: number;
    readonly snapshotCount: number;
    /**
     * Entries kept behind a snapshot for slow followers. Small values make lagging followers install
     * snapshots; default: 500 over namespaces, 50 000 over proxies (see the caveat in proxy.ts).
     */
    readonly snapshotCatchUpEntries?: number;
    /** Bound on the time from the end of the faults until every node serves again. */
    readonly recoveryBoundMs: number;
    /** Fault kinds to draw from (default: all); [] runs the workload without faults (a control). */
    readonly faults?: readonly FaultKind[];
    /** Bound on the time until every node reports the same HashKV. */
    readonly convergeBoundMs: number;
    /** Where reports go (a fresh directory under the OS temp dir by default). */
    readonly outDir?: string;
    /** Keep data dirs and logs after a passing run too. */
    readonly keep?: boolean;
    readonly log?: (line: string) => void;
}
export declare const SHORT_RUN: Omit<FaultRunOptions, "seed">;
export interface FaultRunResult {
    readonly ok: boolean;
    /** Every failed check, one line each (details in the report files). */
    readonly failures: string[];
    readonly dir: string;
    readonly summary: Record<string, unknown>;
}
export declare function runFaultTest(o: FaultRunOptions): Promise<FaultRunResult>;
