// The node-level services around the KV state machine that need Raft: leases (./leases.ts) and
// auto-compaction (./auto-compaction.ts). Wired by ./server.ts next to the watch hub.

import type { ChannelCredentials } from "@grpc/grpc-js";
import { endpointAddress } from "../client/client.js";
import type { KvStateMachine } from "../kv/mvcc.js";
import { NONE } from "../raft/index.js";
import { AutoCompactor } from "./auto-compaction.js";
import type { NodeConfig } from "./config.js";
import { LeaseManager } from "./leases.js";
import type { Logger } from "./logger.js";
import type { RaftKvNode } from "./node.js";

export interface KvServices {
  readonly leases: LeaseManager;
  stop(): Promise<void>;
}

/** host:port of the leader's published client URL, null when no leader or none published. */
function leaderClientAddress(node: RaftKvNode): string | null {
  const leader = node.raft.leaderId;
  if (leader === NONE) return null;
  const url = node.members().find((m) => m.id === leader)?.clientURLs[0];
  return url === undefined ? null : endpointAddress(url);
}

export function startKvServices(
  node: RaftKvNode,
  kv: KvStateMachine,
  config: NodeConfig,
  log: Logger,
  clientCredentials?: ChannelCredentials,
): KvServices {
  const electionTimeoutMs = config.tickMs * config.electionTicks;
  const isLeader = (): boolean => node.raft.role === "leader";
  const leases = new LeaseManager({
    kv,
    propose: (kind, request) => node.propose(kind, request),
    isLeader,
    commitIndex: () => node.raft.status().commitIndex,
    onLeadershipChange: (fn) => {
      let leader = isLeader();
      return node.onStateChange((s) => {
        const now = s.role === "leader";
        if (now === leader) return;
        leader = now;
        fn(now);
      });
    },
    leaderClientAddress: () => leaderClientAddress(node),
    electionTimeoutMs,
    retryMs: config.tickMs,
    requestTimeoutMs: config.requestTimeoutMs,
    clientCredentials,
    logger: log.child({ component: "lease" }),
  });
  leases.start();
  const compactor =
    config.autoCompaction === undefined
      ? null
      : new AutoCompactor({
          config: config.autoCompaction,
          isLeader,
          revision: () => kv.revision,
          compactedRevision: () => kv.compactedRevision,
          propose: (revision) => node.propose("compaction", { revision, physical: false }),
          logger: log.child({ component: "compaction" }),
        });
  compactor?.start();
  return {
    leases,
    stop: async () => {
      compactor?.stop();
      leases.stop();
    },
  };
}
