// A node's configuration, parsed and checked in one place. The CLI maps flags and RAFTKV_*
// variables onto it; tests build it directly.

import type { AuthTokenOptions } from "../api/auth-tokens.js";
import { DEFAULT_VALUE_CACHE_BYTES } from "../kv/index.js";
import type { TlsFiles } from "../tls/certificates.js";
import type { AutoCompactionConfig } from "./auto-compaction.js";
import type { LogFormat } from "./logger.js";
import { peerListContradiction } from "./peer-list.js";

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
  /** A snapshot is also taken once this many bytes of entry data were applied since the last. */
  readonly snapshotBytes: number;
  /** The entries kept behind a snapshot hold at most this many bytes of data (0: none kept). */
  readonly snapshotCatchUpBytes: number;
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
  /** Client TLS (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth); absent: plain. */
  readonly clientTls?: TlsFiles;
  /** Peer mutual TLS (--peer-cert-file, ...); absent: plain. */
  readonly peerTls?: TlsFiles;
  /** Serve --listen-metrics over TLS with these files (the client port's; no client certificate asked). */
  readonly metricsTls?: TlsFiles;
  /** How often the TLS files are checked for changes (ms). */
  readonly tlsReloadMs?: number;
  /** Authentication (--auth-token, --auth-token-ttl; docs/auth.md). Absent: simple tokens, 300 s. */
  readonly auth?: AuthConfig;
  /**
   * etcd's --quota-backend-bytes: past this many bytes of store on disk the member raises the
   * NOSPACE alarm (./alarms.ts). Absent: DEFAULTS.quotaBackendBytes.
   */
  readonly quotaBackendBytes?: number;
  /**
   * Bytes of values the KV state machine's value cache may hold (--value-cache-bytes; 0: none).
   * Absent: DEFAULTS.valueCacheBytes.
   */
  readonly valueCacheBytes?: number;
}

export interface AuthConfig {
  readonly tokens: AuthTokenOptions;
  /** etcd's --client-cert-auth: a client certificate's common name is the user when no token is sent. */
  readonly clientCertAuth: boolean;
}

export type InitialClusterState = "new" | "existing" | "auto";

export const DEFAULTS = {
  name: "default",
  dataDir: "./raftkv-data",
  listenClient: "127.0.0.1:2379",
  listenPeer: "127.0.0.1:2380",
  listenMetrics: "127.0.0.1:2381",
  clusterToken: "raftkv-cluster",
  tickMs: 100,
  electionTicks: 10,
  heartbeatTicks: 1,
  requestTimeoutMs: 7000,
  snapshotEntries: 10_000,
  snapshotCatchUpEntries: 5000,
  /** With large entries the count alone lets the in-memory log grow to GiBs: 64 MiB each. */
  snapshotBytes: 64 * 1024 * 1024,
  snapshotCatchUpBytes: 64 * 1024 * 1024,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxPendingProposals: 10_000,
  logLevel: "info",
  logFormat: "auto" as LogFormat,
  /** etcd's default, 2 GiB (see README "A full disk" for why raftkv keeps it). */
  quotaBackendBytes: 2 * 1024 * 1024 * 1024,
  /** 64 MiB: see README "Sizing memory". */
  valueCacheBytes: DEFAULT_VALUE_CACHE_BYTES,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Accepts "host:port", "http://host:port" or "https://host:port"; returns "host:port". */
export function hostPort(value: string, what: string): string {
  const stripped = value
    .trim()
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/+$/, "");
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(stripped);
  if (m === null) throw new ConfigError(`${what}: "${value}" is not host:port (e.g. 127.0.0.1:2379)`);
  const port = Number(m[2]);
  if (port > 65535) throw new ConfigError(`${what}: port ${port} is out of range`);
  return stripped;
}

/** Parses "name=url,name=url" into a map; every name once, every URL host:port. */
export function parsePeers(value: string): Map<string, string> {
  const peers = new Map<string, string>();
  for (const part of value
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ConfigError(`--peers: "${part}" is not name=url`);
    const name = part.slice(0, eq).trim();
    if (peers.has(name)) throw new ConfigError(`--peers: member "${name}" is listed twice`);
    peers.set(name, hostPort(part.slice(eq + 1), `--peers ${name}`));
  }
  return peers;
}

export function positiveInt(value: string | number, what: string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConfigError(`${what}: "${value}" is not a positive integer`);
  return n;
}

/** A whole number, 0 included (a size where 0 means "none"); "" and "-1" are refused. */
export function nonNegativeInt(value: string | number, what: string): number {
  const n = typeof value === "number" ? value : value.trim() === "" ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`${what}: "${value}" is not a whole number (0 or more)`);
  return n;
}

/** Cross-field checks. */
export function checkConfig(c: NodeConfig): NodeConfig {
  if (c.name.length === 0) throw new ConfigError("--name must not be empty");
  if (!c.peers.has(c.name)) {
    throw new ConfigError(
      `--peers does not list this member's --name "${c.name}" (peers: ${[...c.peers.keys()].join(", ")})`,
    );
  }
  const contradiction = peerListContradiction(c.name, c.peers, c.advertisePeer);
  if (contradiction !== null) throw new ConfigError(contradiction);
  if (c.heartbeatTicks >= c.electionTicks) {
    throw new ConfigError("--heartbeat-ticks must be smaller than --election-ticks");
  }
  return c;
}
