// How a node starts: opens its data dir and decides its identity (cluster ID, member ID) and
// whether to bootstrap the cluster, wait for the leader as a new member, or restart.
//
//   --initial-cluster-state new       (the default) bootstrap --peers when the data dir is empty.
//   --initial-cluster-state existing  the cluster already lists this member (by its advertised
//                                     peer URL; added with `raftkv members add`): take its ID,
//                                     learn the members, and wait for the leader to send the log.
//   --initial-cluster-state auto      StatefulSet pods: ask the other pods (--join) whether a
//                                     cluster runs; if one does, register as a learner (after
//                                     removing a stale entry of this pod: its volume was lost) and
//                                     wait for the log; bootstrap only as one of the initial
//                                     members, when nobody answers, or when the only answers come
//                                     from initial members that never committed past bootstrap.
//
// A member that joined is promoted by its own request once it has caught up (the leader decides,
// with etcd's rule). A member ID is never reused: a pod that lost its volume comes back under a
// new ID, so the votes and acknowledgements of its earlier life cannot be counted twice.

import { setTimeout as delay } from "node:timers/promises";
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { WireMember } from "../api/wire.js";
import { EtcdClient, type EtcdClientError } from "../client/index.js";
import type { NodeId } from "../raft/index.js";
import { type DataDir, dataDirState, openDataDir } from "../storage/index.js";
import type { NodeConfig } from "./config.js";
import { clusterIdOf, hex, memberIdOf } from "./ids.js";
import type { Logger } from "./logger.js";
import type { MemberInfo } from "./members.js";
import { normalizePeerURL } from "./membership.js";
import type { RaftKvNode } from "./node.js";
import { peerScheme, staticClientCredentials } from "./tls.js";

export interface StartPlan {
  readonly dataDir: DataDir;
  readonly clusterId: number;
  readonly memberId: number;
  /** Write the initial configuration of --peers if the log is empty. */
  readonly bootstrap: boolean;
  /** The members to know before the log names them; null: the initial members of --peers. */
  readonly members: ReadonlyMap<NodeId, MemberInfo> | null;
  /** Started once the node serves (the self-promotion of a learner); returns its stopper. */
  readonly afterStart: ((node: RaftKvNode) => () => Promise<void>) | null;
}

/** One running member's answer to the questions a joining node asks. */
export interface ProbeAnswer {
  readonly endpoint: string;
  readonly clusterId: number;
  /** The answering member's ID. */
  readonly memberId: number;
  /** The leader it knows; 0 for none. */
  readonly leader: number;
  /** Its commit index. */
  readonly raftIndex: number;
  readonly members: readonly WireMember[];
}

export type JoinDecision =
  | { readonly kind: "bootstrap" }
  | { readonly kind: "wait"; readonly reason: string }
  | { readonly kind: "fail"; readonly reason: string }
  /** Listed already ("existing"): take this ID. */
  | { readonly kind: "attach"; readonly clusterId: number; readonly memberId: number }
  /** Register as a learner, after removing `staleId` (an earlier life of this member) if set. */
  | { readonly kind: "register"; readonly clusterId: number; readonly staleId: number | null };

export interface JoinInput {
  readonly state: "existing" | "auto";
  /** One of the initial members ("auto"). */
  readonly mayBootstrap: boolean;
  /** http://host:port this node advertises to peers. */
  readonly selfPeerURL: string;
  /** The cluster ID the initial members compute, and how many they are. */
  readonly initialClusterId: number;
  readonly initialSize: number;
  /** The ID this member has in the initial configuration. */
  readonly bootstrapMemberId: number;
  readonly answers: readonly ProbeAnswer[];
}

/** The pure part of joining: what to do given the answers of the running members. */
export function decideJoin(input: JoinInput): JoinDecision {
  const { answers } = input;
  if (answers.length === 0) {
    if (input.state === "auto" && input.mayBootstrap) return { kind: "bootstrap" };
    return { kind: "wait", reason: "no member answers" };
  }
  const clusterIds = new Set(answers.map((a) => a.clusterId));
  if (clusterIds.size > 1) {
    const ids = [...clusterIds].map(hex).join(", ");
    return { kind: "fail", reason: `the endpoints answer for different clusters (${ids})` };
  }
  const clusterId = answers[0]!.clusterId;
  const leader = answers.find((a) => a.leader !== 0)?.leader ?? 0;
  const self = answers
    .flatMap((a) => a.members)
    .find((m) => m.peerURLs.some((u) => normalizePeerURL(u) === input.selfPeerURL));
  const selfId = self === undefined ? null : Number(self.ID);
  if (input.state === "existing") {
    if (selfId !== null) return { kind: "attach", clusterId, memberId: selfId };
    return {
      kind: "fail",
      reason:
        `the cluster does not list this member's peer URL ${input.selfPeerURL}: add it first ` +
        "(raftkv members add <name> --peer-url <url> --learner)",
    };
  }
  if (leader !== 0) return { kind: "register", clusterId, staleId: selfId };
  // No leader. An initial member that never started can still bootstrap — it is safe exactly when
  // the cluster never committed anything past the bootstrap entries (nothing to lose). Otherwise
  // this pod's earlier life may hold acknowledged entries: wait for a leader, then register anew.
  const untouched = answers.every((a) => a.raftIndex <= input.initialSize);
  if (
    input.mayBootstrap &&
    selfId === input.bootstrapMemberId &&
    clusterId === input.initialClusterId &&
    untouched
  ) {
    return { kind: "bootstrap" };
  }
  return { kind: "wait", reason: "the cluster has no leader" };
}

/** Asks every endpoint (in parallel) for its status and member list; silent ones are left out. */
export async function probeMembers(
  endpoints: readonly string[],
  timeoutMs: number,
  credentials?: ChannelCredentials,
): Promise<ProbeAnswer[]> {
  const answers = await Promise.all(
    endpoints.map(async (endpoint): Promise<ProbeAnswer | null> => {
      const client = new EtcdClient([endpoint], { timeoutMs, credentials });
      try {
        const status = await client.status();
        const list = await client.memberList();
        return {
          endpoint,
          clusterId: Number(status.header?.clusterId ?? 0),
          memberId: Number(status.header?.memberId ?? 0),
          leader: Number(status.leader),
          raftIndex: Number(status.raftIndex),
          members: list.members,
        };
      } catch {
        return null;
      } finally {
        client.close();
      }
    }),
  );
  return answers.filter((a) => a !== null);
}

function membersOf(list: readonly WireMember[]): Map<NodeId, MemberInfo> {
  return new Map(
    list.map((m) => [
      Number(m.ID),
      { name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs] } satisfies MemberInfo,
    ]),
  );
}

export interface PrepareOptions {
  /** Pause between two rounds of asking the members. Default: one election timeout. */
  readonly retryMs?: number;
}

/** What every path of prepareStart needs. */
interface StartContext {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly state: "new" | "existing" | "auto";
  readonly initialClusterId: number;
  readonly initialSize: number;
  readonly bootstrapMemberId: number;
  readonly endpoints: readonly string[];
  readonly retryMs: number;
  readonly probeTimeoutMs: number;
  readonly afterStart: ((node: RaftKvNode) => () => Promise<void>) | null;
}

/** Opens the data dir and decides how this node starts (see the top of this file). */
export async function prepareStart(
  config: NodeConfig,
  log: Logger,
  options: PrepareOptions = {},
): Promise<StartPlan> {
  const state = config.initialClusterState ?? "new";
  const initialNames = [...config.peers.keys()];
  const initialClusterId = clusterIdOf(config.clusterToken, initialNames);
  const bootstrapMemberId = memberIdOf(config.clusterToken, config.name);
  const present = (await dataDirState(config.dataDir)) !== "absent";
  if (state === "new" && !present) {
    return {
      dataDir: await createDataDir(config, initialClusterId, bootstrapMemberId),
      clusterId: initialClusterId,
      memberId: bootstrapMemberId,
      bootstrap: true,
      members: null,
      afterStart: null,
    };
  }
  const retryMs = options.retryMs ?? config.tickMs * config.electionTicks;
  const endpoints = config.joinEndpoints ?? [];
  const ctx: StartContext = {
    config,
    log,
    state,
    initialClusterId,
    initialSize: initialNames.length,
    bootstrapMemberId,
    endpoints,
    retryMs,
    probeTimeoutMs: Math.max(500, retryMs),
    afterStart:
      endpoints.length === 0
        ? null
        : (node) => promoteWhenCaughtUp(node, endpoints, log, retryMs, staticClientCredentials(config)),
  };
  // A data dir says who this member is (restart): --peers and --cluster-token no longer decide it.
  return present ? restart(ctx) : join(ctx as StartContext & { state: "existing" | "auto" });
}

function createDataDir(config: NodeConfig, clusterId: number, memberId: number): Promise<DataDir> {
  return openDataDir(config.dataDir, {
    name: config.name,
    clusterId,
    memberId,
    create: true,
    clusterToken: config.clusterToken,
  });
}

/** A node that was a member before: its data dir says who it is. */
async function restart(ctx: StartContext): Promise<StartPlan> {
  const { config } = ctx;
  const dataDir = await openDataDir(config.dataDir, {
    name: config.name,
    clusterId: 0,
    memberId: 0,
    create: false,
  });
  const { clusterId, memberId } = dataDir.identity;
  const logEmpty = dataDir.raftLog.lastIndex() === 0 && dataDir.raftLog.snapshotMeta() === null;
  const initialMember = memberId === ctx.bootstrapMemberId && clusterId === ctx.initialClusterId;
  // Stopped between writing its identity and bootstrapping: finish the bootstrap.
  const mayBootstrap = ctx.state === "new" || (ctx.state === "auto" && config.mayBootstrap === true);
  const bootstrap = mayBootstrap && initialMember && logEmpty;
  let members: ReadonlyMap<NodeId, MemberInfo> | null = initialMember ? null : new Map();
  if (logEmpty && !bootstrap) {
    // Registered, but nothing received yet: learn the members again to answer the leader.
    try {
      members = await waitForMembers(ctx);
    } catch (err) {
      await dataDir.close();
      throw err;
    }
  }
  return { dataDir, clusterId, memberId, bootstrap, members, afterStart: ctx.afterStart };
}

/** An empty data dir: ask the running members until decideJoin says what to do. */
async function join(ctx: StartContext & { state: "existing" | "auto" }): Promise<StartPlan> {
  const { config, log, endpoints } = ctx;
  for (let round = 1; ; round++) {
    const answers = await probeMembers(endpoints, ctx.probeTimeoutMs, staticClientCredentials(config));
    const decision = decideJoin({
      state: ctx.state,
      mayBootstrap: config.mayBootstrap === true,
      selfPeerURL: `${peerScheme(config)}://${config.advertisePeer}`,
      initialClusterId: ctx.initialClusterId,
      initialSize: ctx.initialSize,
      bootstrapMemberId: ctx.bootstrapMemberId,
      answers,
    });
    switch (decision.kind) {
      case "fail":
        throw new Error(`cannot join: ${decision.reason}`);
      case "bootstrap":
        log.info({ asked: endpoints, answered: answers.length }, "no running cluster to join: bootstrapping");
        return {
          dataDir: await createDataDir(config, ctx.initialClusterId, ctx.bootstrapMemberId),
          clusterId: ctx.initialClusterId,
          memberId: ctx.bootstrapMemberId,
          bootstrap: true,
          members: null,
          afterStart: ctx.afterStart,
        };
      case "attach":
        log.info({ cluster: hex(decision.clusterId), member: hex(decision.memberId) }, "joining the cluster");
        return {
          dataDir: await createDataDir(config, decision.clusterId, decision.memberId),
          clusterId: decision.clusterId,
          memberId: decision.memberId,
          bootstrap: false,
          members: membersOf(answers.flatMap((a) => a.members)),
          afterStart: ctx.afterStart,
        };
      case "register": {
        const registered = await register(config, endpoints, decision.staleId, log).catch((err: unknown) => {
          log.warn({ err: (err as Error).message }, "registering with the cluster failed; will retry");
          return null;
        });
        if (registered === null) break;
        const dataDir = await createDataDir(config, registered.clusterId, registered.memberId);
        return { dataDir, ...registered, bootstrap: false, afterStart: ctx.afterStart };
      }
      case "wait":
        if (round === 1 || round % 10 === 0) {
          log.info({ asked: endpoints, reason: decision.reason }, "waiting for a running cluster to join");
        }
        break;
    }
    await delay(ctx.retryMs);
  }
}

/** Removes this member's stale entry (if any) and adds it as a learner. */
async function register(
  config: NodeConfig,
  endpoints: readonly string[],
  staleId: number | null,
  log: Logger,
): Promise<{ clusterId: number; memberId: number; members: Map<NodeId, MemberInfo> }> {
  const client = new EtcdClient(endpoints, {
    timeoutMs: config.requestTimeoutMs + 1000,
    credentials: staticClientCredentials(config),
  });
  try {
    if (staleId !== null) {
      log.warn(
        { stale: hex(staleId) },
        "the cluster lists this member but its data dir is empty (volume lost?): removing the old entry",
      );
      try {
        await client.memberRemove(staleId);
      } catch (err) {
        if ((err as EtcdClientError).details !== "etcdserver: member not found") throw err;
      }
    }
    const added = await client.memberAdd([`${peerScheme(config)}://${config.advertisePeer}`], {
      isLearner: true,
      name: config.name,
    });
    const memberId = Number(added.member?.ID ?? 0);
    const clusterId = Number(added.header?.clusterId ?? 0);
    if (memberId === 0 || clusterId === 0) throw new Error("MemberAdd answered without a member ID");
    log.info({ cluster: hex(clusterId), member: hex(memberId) }, "added to the cluster as a learner");
    return { clusterId, memberId, members: membersOf(added.members) };
  } finally {
    client.close();
  }
}

async function waitForMembers(ctx: StartContext): Promise<Map<NodeId, MemberInfo>> {
  if (ctx.endpoints.length === 0) return new Map();
  for (let round = 1; ; round++) {
    const answers = await probeMembers(
      ctx.endpoints,
      ctx.probeTimeoutMs,
      staticClientCredentials(ctx.config),
    );
    if (answers.length > 0) return membersOf(answers.flatMap((a) => a.members));
    if (round === 1 || round % 10 === 0)
      ctx.log.info({ asked: ctx.endpoints }, "waiting for a member to answer");
    await delay(ctx.retryMs);
  }
}

/**
 * Until this member votes: ask the leader to promote it. The leader refuses while the learner
 * lags ("not in sync"), so this simply retries; it ends once the member is a voter, is removed,
 * or the node stops.
 */
export function promoteWhenCaughtUp(
  node: RaftKvNode,
  endpoints: readonly string[],
  log: Logger,
  intervalMs: number,
  credentials?: ChannelCredentials,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const client =
    endpoints.length > 0 ? new EtcdClient(endpoints, { timeoutMs: intervalMs * 5, credentials }) : null;
  const attempt = async (): Promise<boolean> => {
    const cs = node.raft.confState();
    if (cs.voters.includes(node.memberId)) return true;
    if (!cs.learners.includes(node.memberId) || client === null) return false;
    try {
      await client.memberPromote(node.memberId);
      log.info({ member: hex(node.memberId) }, "promoted from learner to voting member");
      return true;
    } catch (err) {
      const details = (err as EtcdClientError).details ?? (err as Error).message;
      if (details === "etcdserver: member not found") {
        log.warn("this member was removed from the cluster");
        return true;
      }
      if (details === "etcdserver: can only promote a learner member") return true;
      log.debug({ err: details }, "not promoted yet");
      return false;
    }
  };
  const loop = (): void => {
    if (stopped) return;
    running = attempt().then((done) => {
      if (!done && !stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  loop();
  return async () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    await running;
    client?.close();
  };
}
