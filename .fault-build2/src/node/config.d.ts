import type { AutoCompactionConfig } from "./auto-compaction.js";
import type { LogFormat } from "./logger.js";
export interface NodeConfig {
    readonly name: string;
    readonly dataDir: string;
    /** host:port to listen on for clients (etcd gRPC API). */
    readonly listenClient: string;
    /** host:port to listen on for peers (Raft). */
    readonly listenPeer: string;
    /** host:port for /metrics, /healthz, /readyz; empty to disable. */
    readonly listenMetrics: string;
    readonly advertiseClient: string;
    readonly advertisePeer: string;
    /** Initial members: name → peer URL. Includes this node. */
    readonly peers: ReadonlyMap<string, string>;
    readonly clusterToken: string;
    readonly tickMs: number;
    readonly electionTicks: number;
    readonly heartbeatTicks: number;
    readonly requestTimeoutMs: number;
    readonly snapshotEntries: number;
    readonly snapshotCatchUpEntries: number;
    readonly maxRequestBytes: number;
    readonly maxPendingProposals: number;
    readonly logLevel: string;
    readonly logFormat: LogFormat;
    /**
     * How a node with an empty data dir starts (etcd's --initial-cluster-state): "new" bootstraps
     * the cluster of --peers; "existing" joins a running cluster that already lists this member
     * (added with `raftkv members add`); "auto" (StatefulSet pods) joins a running cluster if one
     * answers — registering itself as a learner — and bootstraps only when none does. Default "new".
     */
    readonly initialClusterState?: InitialClusterState;
    /** Client endpoints (host:port) of running members to ask when joining ("existing", "auto"). */
    readonly joinEndpoints?: readonly string[];
    /** "auto" only: whether this node is one of the initial members and so may bootstrap. */
    readonly mayBootstrap?: boolean;
    /**
     * etcd's --auto-compaction-mode and --auto-compaction-retention (./auto-compaction.ts): the
     * leader proposes Compact. Absent or retention 0: no auto-compaction (etcd's default).
     */
    readonly autoCompaction?: AutoCompactionConfig;
}
export type InitialClusterState = "new" | "existing" | "auto";
export declare const DEFAULTS: {
    readonly name: "default";
    readonly dataDir: "./raftkv-data";
    readonly listenClient: "127.0.0.1:2379";
    readonly listenPeer: "127.0.0.1:2380";
    readonly listenMetrics: "127.0.0.1:2381";
    readonly clusterToken: "raftkv-cluster";
    readonly tickMs: 100;
    readonly electionTicks: 10;
    readonly heartbeatTicks: 1;
    readonly requestTimeoutMs: 7000;
    readonly snapshotEntries: 10000;
    readonly snapshotCatchUpEntries: 5000;
    readonly maxRequestBytes: number;
    readonly maxPendingProposals: 10000;
    readonly logLevel: "info";
    readonly logFormat: LogFormat;
};
export declare class ConfigError extends Error {
    constructor(message: string);
}
/** Accepts "host:port", "http://host:port" or "https://host:port"; returns "host:port". */
export declare function hostPort(value: string, what: string): string;
/** Parses "name=url,name=url" into a map; every name once, every URL host:port. */
export declare function parsePeers(value: string): Map<string, string>;
export declare function positiveInt(value: string | number, what: string): number;
/** Cross-field checks. */
export declare function checkConfig(c: NodeConfig): NodeConfig;
