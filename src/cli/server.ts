// The server flags (each with a RAFTKV_* variable) and the run-a-node command.

import { hostname } from "node:os";
import { Option } from "commander";
import { type AutoCompactionConfig, parseAutoCompaction } from "../node/auto-compaction.js";
import {
  ConfigError,
  checkConfig,
  DEFAULTS,
  hostPort,
  type NodeConfig,
  nonNegativeInt,
  parsePeers,
  positiveInt,
} from "../node/config.js";
import { createLogger, type LogFormat } from "../node/logger.js";
import { startNode } from "../node/server.js";
import { authConfigFromOptions, authOptions } from "./auth-options.js";
import { deployConfig, deployOptions } from "./deploy-options.js";
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthPercent } from "./heap-growth.js";
import { watchRemoval } from "./removal.js";
import { withDataDir } from "./restart-options.js";
import { tlsConfig, tlsOptions } from "./tls-options.js";

function opt(flags: string, description: string, env: string, def?: string): Option {
  const o = new Option(flags, description).env(env);
  return def === undefined ? o : o.default(def);
}

export function serverOptions(): Option[] {
  return [
    opt("--name <name>", "this member's name (unique in the cluster)", "RAFTKV_NAME", DEFAULTS.name),
    opt(
      "--name-from-hostname",
      "use the host name as --name (StatefulSet pods)",
      "RAFTKV_NAME_FROM_HOSTNAME",
    ),
    opt("--data-dir <dir>", "where the log and the data live", "RAFTKV_DATA_DIR", DEFAULTS.dataDir),
    opt(
      "--listen-client <host:port>",
      "client address: etcd gRPC API and JSON gateway (https:// serves TLS)",
      "RAFTKV_LISTEN_CLIENT",
      DEFAULTS.listenClient,
    ),
    opt("--listen-peer <host:port>", "peer (Raft) address", "RAFTKV_LISTEN_PEER", DEFAULTS.listenPeer),
    opt(
      "--listen-metrics <host:port>",
      "HTTP /metrics, /healthz, /readyz address ('' to disable)",
      "RAFTKV_LISTEN_METRICS",
      DEFAULTS.listenMetrics,
    ),
    opt(
      "--advertise-client <host:port>",
      "client address told to others (default: --listen-client)",
      "RAFTKV_ADVERTISE_CLIENT",
    ),
    opt(
      "--advertise-peer <host:port>",
      "peer address told to others (default: --listen-peer)",
      "RAFTKV_ADVERTISE_PEER",
    ),
    opt(
      "--peers <name=url,...>",
      "initial members, this one included (default: this node alone)",
      "RAFTKV_PEERS",
    ),
    opt(
      "--cluster-token <token>",
      "distinguishes clusters built from the same peer list",
      "RAFTKV_CLUSTER_TOKEN",
      DEFAULTS.clusterToken,
    ),
    opt("--tick-ms <ms>", "Raft tick (heartbeat interval unit)", "RAFTKV_TICK_MS", String(DEFAULTS.tickMs)),
    opt(
      "--election-ticks <n>",
      "election timeout in ticks",
      "RAFTKV_ELECTION_TICKS",
      String(DEFAULTS.electionTicks),
    ),
    opt(
      "--heartbeat-ticks <n>",
      "heartbeat interval in ticks",
      "RAFTKV_HEARTBEAT_TICKS",
      String(DEFAULTS.heartbeatTicks),
    ),
    opt(
      "--request-timeout-ms <ms>",
      "client call timeout",
      "RAFTKV_REQUEST_TIMEOUT_MS",
      String(DEFAULTS.requestTimeoutMs),
    ),
    opt(
      "--snapshot-count <n>",
      "applied entries between snapshots",
      "RAFTKV_SNAPSHOT_COUNT",
      String(DEFAULTS.snapshotEntries),
    ),
    opt(
      "--snapshot-catchup-entries <n>",
      "entries kept behind a snapshot for slow followers",
      "RAFTKV_SNAPSHOT_CATCHUP_ENTRIES",
      String(DEFAULTS.snapshotCatchUpEntries),
    ),
    opt(
      "--snapshot-bytes <n>",
      "bytes of applied entries that also make a snapshot due",
      "RAFTKV_SNAPSHOT_BYTES",
      String(DEFAULTS.snapshotBytes),
    ),
    opt(
      "--snapshot-catchup-bytes <n>",
      "bytes of entries at most kept behind a snapshot (0: none)",
      "RAFTKV_SNAPSHOT_CATCHUP_BYTES",
      String(DEFAULTS.snapshotCatchUpBytes),
    ),
    opt(
      "--max-request-bytes <n>",
      "largest client request",
      "RAFTKV_MAX_REQUEST_BYTES",
      String(DEFAULTS.maxRequestBytes),
    ),
    opt(
      "--max-pending-proposals <n>",
      "writes waiting for commit before RESOURCE_EXHAUSTED",
      "RAFTKV_MAX_PENDING_PROPOSALS",
      String(DEFAULTS.maxPendingProposals),
    ),
    opt(
      "--log-level <level>",
      "trace, debug, info, warn, error, fatal, silent",
      "RAFTKV_LOG_LEVEL",
      DEFAULTS.logLevel,
    ).choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
    opt(
      "--log-format <format>",
      "json, pretty, or auto (pretty on a terminal)",
      "RAFTKV_LOG_FORMAT",
      DEFAULTS.logFormat,
    ).choices(["auto", "json", "pretty"]),
    opt(
      "--auto-compaction-mode <mode>",
      "periodic (keep --auto-compaction-retention of time) or revision (keep that many revisions)",
      "RAFTKV_AUTO_COMPACTION_MODE",
      "periodic",
    ).choices(["periodic", "revision"]),
    opt(
      "--auto-compaction-retention <n>",
      "periodic: a duration (1h, 30m) or hours; revision: a count; 0 disables",
      "RAFTKV_AUTO_COMPACTION_RETENTION",
      "0",
    ),
    opt(
      "--quota-backend-bytes <n>",
      "store size on disk past which the NOSPACE alarm is raised (0: the default, 2 GiB)",
      "RAFTKV_QUOTA_BACKEND_BYTES",
      "0",
    ),
    opt(
      "--value-cache-bytes <n>",
      'bytes of values kept in memory in front of the store (0: none; see README "Sizing memory")',
      "RAFTKV_VALUE_CACHE_BYTES",
      String(DEFAULTS.valueCacheBytes),
    ),
    opt(
      "--heap-growth-percent <n>",
      "V8 heap growth past the live size before a full GC, in percent (0: V8's adaptive 10-300)",
      "RAFTKV_HEAP_GROWTH_PERCENT",
      String(DEFAULT_HEAP_GROWTH_PERCENT),
    ),
    ...deployOptions(),
    ...authOptions(),
    ...tlsOptions(),
  ];
}

function autoCompactionFromOptions(o: Record<string, unknown>): AutoCompactionConfig {
  try {
    return parseAutoCompaction(
      String(o.autoCompactionMode ?? "periodic"),
      String(o.autoCompactionRetention ?? "0"),
    );
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function quotaFromOptions(value: string): number {
  if (value === "0") return DEFAULTS.quotaBackendBytes;
  return positiveInt(value, "--quota-backend-bytes");
}

export function configFromOptions(o: Record<string, unknown>): NodeConfig {
  const s = (k: string): string => String(o[k] ?? "");
  const name = o.nameFromHostname ? hostname().split(".")[0]! : s("name");
  const listenClient = hostPort(s("listenClient"), "--listen-client");
  const listenPeer = hostPort(s("listenPeer"), "--listen-peer");
  const deploy = deployConfig(o, name, listenClient, listenPeer);
  const advertisePeer =
    deploy.advertisePeer ?? (o.advertisePeer ? hostPort(s("advertisePeer"), "--advertise-peer") : listenPeer);
  const advertiseClient =
    deploy.advertiseClient ??
    (o.advertiseClient ? hostPort(s("advertiseClient"), "--advertise-client") : listenClient);
  const peers = deploy.peers ?? (o.peers ? parsePeers(s("peers")) : new Map([[name, advertisePeer]]));
  return checkConfig({
    name,
    dataDir: s("dataDir"),
    listenClient,
    listenPeer,
    listenMetrics: s("listenMetrics") === "" ? "" : hostPort(s("listenMetrics"), "--listen-metrics"),
    advertiseClient,
    advertisePeer,
    peers,
    clusterToken: s("clusterToken"),
    tickMs: positiveInt(s("tickMs"), "--tick-ms"),
    electionTicks: positiveInt(s("electionTicks"), "--election-ticks"),
    heartbeatTicks: positiveInt(s("heartbeatTicks"), "--heartbeat-ticks"),
    requestTimeoutMs: positiveInt(s("requestTimeoutMs"), "--request-timeout-ms"),
    snapshotEntries: positiveInt(s("snapshotCount"), "--snapshot-count"),
    snapshotCatchUpEntries: positiveInt(s("snapshotCatchupEntries"), "--snapshot-catchup-entries"),
    snapshotBytes: positiveInt(s("snapshotBytes"), "--snapshot-bytes"),
    snapshotCatchUpBytes: nonNegativeInt(s("snapshotCatchupBytes"), "--snapshot-catchup-bytes"),
    maxRequestBytes: positiveInt(s("maxRequestBytes"), "--max-request-bytes"),
    maxPendingProposals: positiveInt(s("maxPendingProposals"), "--max-pending-proposals"),
    logLevel: s("logLevel"),
    logFormat: s("logFormat") as LogFormat,
    initialClusterState: deploy.initialClusterState,
    joinEndpoints: deploy.joinEndpoints,
    mayBootstrap: deploy.mayBootstrap,
    autoCompaction: autoCompactionFromOptions(o),
    auth: authConfigFromOptions(o),
    quotaBackendBytes: quotaFromOptions(s("quotaBackendBytes")),
    valueCacheBytes: nonNegativeInt(s("valueCacheBytes"), "--value-cache-bytes"),
    ...tlsConfig(o),
  });
}

/** 3: the data dir belongs to another member or cluster; 4: it is corrupt; 1: anything else. */
function startFailureExitCode(code: string | undefined): number {
  return code === "RAFTKV_DATA_DIR_MISMATCH" ? 3 : code?.startsWith("RAFTKV_CORRUPT") ? 4 : 1;
}

export async function runServer(
  o: Record<string, unknown>,
  version: string,
  given: ReadonlySet<string> = new Set(),
): Promise<void> {
  let config: NodeConfig;
  let heapGrowth: number;
  try {
    heapGrowth = heapGrowthPercent(String(o.heapGrowthPercent ?? DEFAULT_HEAP_GROWTH_PERCENT));
    config = configFromOptions(await withDataDir(o, given));
  } catch (err) {
    const e = err as Error & { exitCode?: number; code?: string };
    if (err instanceof ConfigError) {
      process.stderr.write(`raftkv: ${e.message}\n`);
      process.exit(e.exitCode ?? 2);
    }
    process.stderr.write(`raftkv: cannot start: ${e.message}\n`);
    process.exit(startFailureExitCode(e.code));
  }
  applyHeapGrowth(heapGrowth);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: config.name });
  let running: Awaited<ReturnType<typeof startNode>>;
  try {
    running = await startNode(config, { logger, version });
  } catch (err) {
    const e = err as Error & { code?: string };
    logger.fatal({ err: e, code: e.code }, "cannot start");
    process.stderr.write(`raftkv: cannot start: ${e.message}\n`);
    logger.flush?.();
    process.exit(startFailureExitCode(e.code));
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  watchRemoval(running, logger);
  running.node.onFatal((err) => {
    logger.fatal({ err }, "node stopped on a fatal error");
    process.stderr.write(`raftkv: fatal: ${err.message}\n`);
    running.close().finally(() => process.exit(1));
  });
}
