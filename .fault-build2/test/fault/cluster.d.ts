import { type ChildProcess } from "node:child_process";
import { EtcdClient } from "../../src/client/index.js";
import type { FaultNet, NodeAddressing } from "./net.js";
/** The raftkv CLI the nodes run: the build in dist/, or RAFTKV_FAULT_CLI (e.g. a private build). */
export declare const CLI: string;
export declare function freePort(): Promise<number>;
/** Polls `cond` until it returns a truthy value or `timeoutMs` passes (then throws). */
export declare function waitFor<T>(what: string, cond: () => Promise<T> | T, timeoutMs: number, everyMs?: number): Promise<NonNullable<T>>;
export type NodeState = "up" | "down" | "paused";
/**
 * An answer from a server that is not the node asked: its port was taken over by another process
 * (another test's cluster) while the node was down. Never an answer about this cluster.
 */
export declare class ForeignServerError extends Error {
    constructor(node: string, header: {
        clusterId?: number;
        memberId?: number;
    } | undefined);
}
export interface FaultNode {
    readonly index: number;
    readonly name: string;
    readonly memberId: number;
    readonly addr: NodeAddressing;
    readonly dataDir: string;
    proc: ChildProcess | null;
    state: NodeState;
    starts: number;
    /** Exits nobody asked for (crashes), with their code or signal. */
    readonly unexpectedExits: string[];
}
export interface ClusterTimings {
    readonly tickMs: number;
    readonly electionTicks: number;
    readonly requestTimeoutMs: number;
    readonly snapshotCount: number;
    readonly snapshotCatchUpEntries: number;
}
export declare class FaultCluster {
    #private;
    readonly nodes: FaultNode[];
    readonly net: FaultNet;
    readonly root: string;
    readonly token: string;
    readonly clusterId: number;
    readonly timings: ClusterTimings;
    /** Called when a node exits without being asked to (a crash, or a failure to start). */
    onUnexpectedExit: (n: FaultNode, how: string) => void;
    constructor(net: FaultNet, root: string, timings: ClusterTimings, token: string);
    get electionTimeoutMs(): number;
    logPath(n: FaultNode): string;
    start(n: FaultNode): void;
    /** Sends `signal` and waits for the exit (SIGCONT first, so a paused node can run its handler). */
    stopNode(n: FaultNode, signal: "SIGKILL" | "SIGTERM"): Promise<void>;
    pause(n: FaultNode): void;
    resume(n: FaultNode): void;
    client(n: FaultNode, timeoutMs: number): EtcdClient;
    /** Throws ForeignServerError unless `header` comes from node `n` of this cluster. */
    checkHeader(n: FaultNode, header: {
        clusterId?: number;
        memberId?: number;
    } | null | undefined): void;
    /**
     * The node that the running, unpaused nodes name as leader, when those that answer within
     * `timeoutMs` agree on one; null otherwise.
     */
    leader(timeoutMs?: number): Promise<FaultNode | null>;
    waitForLeader(timeoutMs: number): Promise<FaultNode>;
    /** How many times each node's log says it installed a snapshot from the leader. */
    snapshotInstalls(): Map<string, number>;
    close(): Promise<void>;
    killAllSync(): void;
}
