import type { FaultCluster } from "./cluster.js";
import { type CutMode } from "./net.js";
import type { Prng } from "./prng.js";
export declare const FAULT_KINDS: readonly ["kill-leader", "kill-random", "kill-all", "term-leader", "pause-leader", "pause-random", "partition-halves", "partition-leader", "partition-bridge", "oneway-leader-out", "oneway-leader-in", "oneway-random", "slow-network", "transfer-leader", "flapping-partitions", "partition-and-kill"];
export type FaultKind = (typeof FAULT_KINDS)[number];
export interface ScheduledFault {
    readonly atMs: number;
    readonly kind: FaultKind;
    readonly durationMs: number;
    /** A node index (random targets), a permutation of all nodes (partitions), cut mode, delay. */
    readonly node: number;
    readonly order: readonly number[];
    readonly mode: CutMode;
    readonly delayMs: number;
    readonly outbound: boolean;
    /** flapping-partitions: the successive splits (node permutations, minority first) and their period. */
    readonly flaps: readonly (readonly number[])[];
    readonly flapMs: number;
}
export interface ScheduleOptions {
    readonly timeMs: number;
    readonly nodeCount: number;
    readonly electionTimeoutMs: number;
    readonly canDelay: boolean;
    /** The kinds to draw from (default: all the network supports); empty: no faults at all. */
    readonly kinds?: readonly FaultKind[];
}
/** The whole fault plan, from the seed alone. */
export declare function makeSchedule(rng: Prng, o: ScheduleOptions): ScheduledFault[];
export declare function describeFault(f: ScheduledFault, nodeNames: readonly string[]): string;
export interface NemesisCounters {
    readonly byKind: Record<string, number>;
    kills: number;
    pauses: number;
    partitions: number;
    leaderTargets: number;
    noLeaderFound: number;
}
export declare class Nemesis {
    #private;
    readonly counters: NemesisCounters;
    constructor(cluster: FaultCluster, schedule: readonly ScheduledFault[], log: (line: string) => void, now: () => number);
    abort(): void;
    /** Plays the schedule; `startMs` is the `now()` the schedule's times count from. */
    run(startMs: number): Promise<void>;
    /** Ends every fault: links healed, paused nodes resumed, stopped nodes restarted. */
    healAll(): Promise<void>;
}
