// Wires one node from its configuration: data dir, Raft log, KV state machine, peer transport,
// client API and HTTP endpoints. Starts from the data dir when it holds a log; bootstraps from
// --peers when it is empty; refuses a data dir of another cluster or member.

import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { createTokenProvider, DEFAULT_AUTH_TOKEN_TTL_SECONDS } from "../api/auth-tokens.js";
import { startHttpServer } from "../api/http.js";
import { startClientServer } from "../api/server.js";
import { ETCD_API_VERSION } from "../api/version.js";
import { WatchHub } from "../kv/watch.js";
import { bootstrap, type NodeId } from "../raft/index.js";
import { restoreMemoryStorage } from "../storage/index.js";
import { GrpcTransport } from "../transport/index.js";
import { QuotaMonitor } from "./alarms.js";
import { DEFAULTS, type NodeConfig } from "./config.js";
import { untilSpace, watchDisk } from "./disk.js";
import { registerIdentityMetrics } from "./identity-metrics.js";
import { hex, memberIdOf } from "./ids.js";
import { prepareStart } from "./join.js";
import { startKvServices } from "./kv-services.js";
import type { Logger } from "./logger.js";
import { encodeMemberContext, type MemberInfo, MemberTable } from "./members.js";
import { registerMemoryMetrics } from "./memory-metrics.js";
import { RaftKvNode } from "./node.js";
import { openKvStateMachine } from "./open-kv.js";
import { RemovalNotice } from "./removal.js";
import { clientScheme, openNodeTls, peerScheme } from "./tls.js";

/** Ticks a member that learnt of its own removal keeps running (etcd: 10) before it stops. */
export const REMOVED_STOP_DELAY_TICKS = 10;

export interface RunningNode {
  readonly node: RaftKvNode;
  readonly config: NodeConfig;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number | null;
  /** Graceful: transfer leadership, finish calls in flight, close everything. */
  close(): Promise<void>;
  /** Called once this member learns it was removed from the cluster (it should exit). */
  onRemoved(fn: (how: string) => void): void;
}

export async function startNode(
  config: NodeConfig,
  deps: { logger: Logger; version: string; random?: () => number },
): Promise<RunningNode> {
  const log = deps.logger;
  const initial = new Map<NodeId, MemberInfo>();
  // Every member must write the same bootstrap entries (same index and term, so same bytes): no
  // client URLs here, as a member knows only its own. Each publishes its own once it runs.
  for (const [name, url] of config.peers) {
    const id = memberIdOf(config.clusterToken, name);
    initial.set(id, { name, peerURLs: [`${peerScheme(config)}://${url}`], clientURLs: [] });
  }

  // The data dir, this member's identity and how it starts (bootstrap, restart, join): ./join.ts.
  // Certificates first: a bad file stops the start before anything is opened.
  const tls = openNodeTls(config, log);
  // On a full disk it waits for space, reporting it on /readyz (./disk.ts).
  const plan = await untilSpace(() => prepareStart(config, log), config, log).catch((err: unknown) => {
    tls.close();
    throw err;
  });
  const { dataDir, clusterId, memberId } = plan;
  dataDir.space.useLogger(log.child({ component: "disk" }));
  const closers: (() => Promise<void>)[] = [async () => tls.close(), () => dataDir.close()];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn({ err }, "close failed"));
  };
  try {
    const loaded = await dataDir.raftLog.load();
    const storage = restoreMemoryStorage(loaded);
    const fresh = storage.lastIndex() === 0 && storage.snapshot().meta.index === 0;
    if (fresh && !plan.bootstrap) {
      log.info({ cluster: hex(clusterId), member: hex(memberId) }, "joined: waiting for the leader's log");
    } else if (fresh) {
      const contexts = new Map([...initial].map(([id, info]) => [id, encodeMemberContext(info)] as const));
      const entries = bootstrap(storage, [...initial.keys()], contexts);
      await dataDir.raftLog.save({ hardState: storage.hardState(), entries, snapshot: null });
      log.info(
        { cluster: hex(clusterId), member: hex(memberId), peers: Object.fromEntries(config.peers) },
        "bootstrapped a new cluster",
      );
    } else {
      log.info(
        { lastIndex: storage.lastIndex(), commit: storage.hardState().commit },
        "restarting from the data dir",
      );
    }

    const logFloor = Math.max(storage.firstIndex() - 1, storage.snapshot().meta.index);
    const valueCacheBytes = config.valueCacheBytes ?? DEFAULTS.valueCacheBytes;
    const kv = await openKvStateMachine(dataDir, { logFloor, log }, { valueCacheBytes });
    closers.push(() => kv.close());
    // Subscribed before anything is applied: the hub starts at the store's revision.
    const watchHub = new WatchHub(kv);
    closers.push(async () => watchHub.close());
    // Auth tokens are soft state of this member, following the applied Authenticate entries.
    const tokens = createTokenProvider(
      config.auth?.tokens ?? { type: "simple", ttlMs: DEFAULT_AUTH_TOKEN_TTL_SECONDS * 1000 },
    );
    const stopTokens = kv.onApplied((batch) => tokens.applied(batch.auth));
    closers.push(async () => {
      stopTokens();
      tokens.close();
    });
    // The applied membership is in the store; --peers only until the first one is applied.
    const stored = await kv.loadMembers();
    const members = MemberTable.fromEntries([
      ...(plan.members ?? (stored.length === 0 ? initial : [])),
      ...stored,
    ]);
    // As etcd does, a member that learns it was removed runs on for 10 ticks before it stops. A
    // leader removing itself has just committed the removal: its transport must stay up for the
    // others to learn that commit (or they list it as a member until a new leader commits the
    // entry again), and it must apply the removal to answer the MemberRemove call. The others,
    // having applied it first, refuse its stream at once: stopping then would drop that call
    // unanswered (its client saw "Connection dropped").
    const removal = new RemovalNotice(REMOVED_STOP_DELAY_TICKS * config.tickMs);
    members.onSelfRemoved(() => removal.notify("this member applied its own removal"));
    // This member's own client URL is whatever it advertises now.
    const selfInfo = members.get(memberId);
    if (selfInfo !== undefined)
      members.set(memberId, {
        ...selfInfo,
        clientURLs: [`${clientScheme(config)}://${config.advertiseClient}`],
      });

    let node: RaftKvNode | null = null;
    const transport = new GrpcTransport({
      clusterId,
      memberId,
      listen: config.listenPeer,
      logger: log.child({ component: "transport" }),
      onMessages: (msgs) => node?.receive(msgs),
      onSnapshot: async (msg, chunks) => {
        if (node === null) throw new Error("node not started");
        await node.receiveSnapshot(msg, chunks);
      },
      onUnreachable: (id) => node?.reportUnreachable(id),
      onRemoved: (by) => removal.notify(`member ${hex(by)} refuses it as removed`),
      tlsFiles: tls.peer,
    });
    for (const [id, info] of members.entries()) {
      const url = info.peerURLs[0];
      if (id !== memberId && url !== undefined) transport.addPeer(id, url);
    }
    const { port: peerPort } = await transport.start();
    closers.push(() => transport.close());

    const registry = new Registry();
    // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event-loop lag, GC: where
    // memory and time go, next to the write-path stages (./timeline.ts).
    collectDefaultMetrics({ register: registry });
    node = new RaftKvNode({
      registry,
      name: config.name,
      memberId,
      clusterId,
      dataDir,
      storage,
      kv,
      transport,
      members,
      timings: {
        tickMs: config.tickMs,
        electionTicks: config.electionTicks,
        heartbeatTicks: config.heartbeatTicks,
        requestTimeoutMs: config.requestTimeoutMs,
      },
      limits: {
        maxPendingProposals: config.maxPendingProposals,
        snapshotEntries: config.snapshotEntries,
        snapshotCatchUpEntries: config.snapshotCatchUpEntries,
        snapshotBytes: config.snapshotBytes,
        snapshotCatchUpBytes: config.snapshotCatchUpBytes,
      },
      logger: log,
      version: deps.version,
      random: deps.random,
      clientURLs: [`${clientScheme(config)}://${config.advertiseClient}`],
    });
    const started = node;
    started.start();
    closers.push(() => started.stop());
    if (plan.afterStart !== null) closers.push(plan.afterStart(started));
    const kvServices = startKvServices(started, kv, config, log, tls.clientCredentials);
    closers.push(() => kvServices.stop());
    // A full disk, the store's size, Defragment (./disk.ts); the backend quota (./alarms.ts).
    const quotaBytes = config.quotaBackendBytes ?? DEFAULTS.quotaBackendBytes;
    const disk = watchDisk(started, dataDir, kv, log.child({ component: "disk" }), quotaBytes);
    closers.push(async () => disk.stop());
    const quota = new QuotaMonitor({ node: started, kv, size: dataDir.size, quotaBytes, log });
    quota.start();
    closers.push(async () => quota.stop());

    registerIdentityMetrics(registry, started);
    registerMemoryMetrics(registry, started, valueCacheBytes);
    new Gauge({
      name: "raftkv_build_info",
      help: "raftkv's version and the etcd API level it serves (always 1)",
      labelNames: ["version", "etcd_api_version"],
      registers: [registry],
    }).set({ version: deps.version, etcd_api_version: ETCD_API_VERSION }, 1);
    const client = await startClientServer({
      backend: started,
      listen: config.listenClient,
      logger: log.child({ component: "api" }),
      registry,
      maxRequestBytes: config.maxRequestBytes,
      watchHub,
      leases: kvServices.leases,
      auth: {
        table: kv.auth,
        tokens,
        clientCertAuth: config.auth?.clientCertAuth === true,
        leaseKeys: (id) => [...(kv.lease(id)?.keys ?? [])].map((name) => Buffer.from(name, "latin1")),
      },
      maintenance: disk,
      tls: tls.client,
    });
    closers.push(() => client.close(true));
    let metricsPort: number | null = null;
    if (config.listenMetrics !== "") {
      const http = await startHttpServer({
        backend: started,
        listen: config.listenMetrics,
        registry,
        tls: tls.metrics,
      });
      metricsPort = http.port;
      closers.push(() => http.close());
    }
    log.info(
      {
        client: `${config.listenClient}`,
        peer: config.listenPeer,
        metrics: config.listenMetrics,
        member: hex(memberId),
      },
      "raftkv is serving",
    );
    let closing: Promise<void> | null = null;
    return {
      node: started,
      config,
      clientPort: client.port,
      peerPort,
      metricsPort,
      close: () => {
        closing ??= closeAll();
        return closing;
      },
      onRemoved: (fn) => removal.listen(fn),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
