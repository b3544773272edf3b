// Membership changes through the client API (etcd's Cluster.MemberAdd / MemberRemove /
// MemberPromote): validated against the current configuration, proposed to the Raft core one at a
// time (single-server changes), and answered once the change is applied on this node — the leader.
//
// A new member joins as a learner: it receives the log but does not vote, so a slow start cannot
// cost the cluster its quorum. It is promoted only once it has caught up, as etcd decides it: its
// match index is at least 90 % of the leader's.

import { randomBytes } from "node:crypto";
import type { Member } from "../api/backend.js";
import { NodeError } from "../api/errors.js";
import { type ConfChange, NONE, type NodeId, type Raft, RaftError } from "../raft/index.js";
import { encodeMemberContext, type MemberInfo, type MemberTable } from "./members.js";

/** etcd's readyPercent: a learner whose match index is this fraction of the leader's is in sync. */
export const LEARNER_READY_FRACTION = 0.9;
/** etcd's --max-learners default: one learner at a time. */
export const LEARNERS_MAX = 1;

export interface MemberAddInput {
  readonly peerURLs: readonly string[];
  readonly isLearner: boolean;
  /** A raftkv extension, accepted and ignored: a member's name is what it publishes on start. */
  readonly name?: string;
  readonly clientURLs?: readonly string[];
}

export interface MemberAddResult {
  readonly member: Member;
  readonly members: Member[];
}

/** What membership changes need from the node. */
export interface MembershipHost {
  readonly raft: Raft;
  readonly memberTable: MemberTable;
  /** Milliseconds a call may take before it fails with "request timed out". */
  readonly requestTimeoutMs: number;
  /** Run the node loop now (a proposal is waiting). */
  kick(): void;
  /** Resolves true once `cond` holds, false at the deadline (polled; never a fixed sleep). */
  waitFor(cond: () => boolean, deadline: number): Promise<boolean>;
  listMembers(): Member[];
}

/** "http://host:port" for a peer URL given as host:port or http(s)://host:port; null if invalid. */
export function normalizePeerURL(url: string): string | null {
  const m = /^(?:(https?):\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5})\/?$/.exec(url.trim());
  if (m === null) return null;
  const port = Number(m[3]);
  if (port === 0 || port > 65535) return null;
  return `${m[1] ?? "http"}://${m[2]}:${port}`;
}

/** Whether a learner with `learnerMatch` is in sync with a leader at `leaderMatch` (etcd's rule). */
export function learnerInSync(learnerMatch: number, leaderMatch: number): boolean {
  return learnerMatch >= leaderMatch * LEARNER_READY_FRACTION;
}

export class Membership {
  readonly #host: MembershipHost;

  constructor(host: MembershipHost) {
    this.#host = host;
  }

  async add(input: MemberAddInput): Promise<MemberAddResult> {
    this.#requireLeader();
    const peerURLs = input.peerURLs.map(normalizePeerURL);
    if (peerURLs.length === 0 || peerURLs.some((u) => u === null)) {
      throw new NodeError("RAFTKV_MEMBER_BAD_URLS");
    }
    const urls = peerURLs as string[];
    const cs = this.#host.raft.confState();
    for (const id of [...cs.voters, ...cs.learners]) {
      const known = this.#host.memberTable.get(id)?.peerURLs ?? [];
      if (known.some((u) => urls.includes(normalizePeerURL(u) ?? u))) {
        throw new NodeError("RAFTKV_PEER_URL_EXISTS");
      }
    }
    if (input.isLearner && cs.learners.length >= LEARNERS_MAX) {
      throw new NodeError("RAFTKV_TOO_MANY_LEARNERS");
    }
    const id = this.#newMemberId();
    // As etcd: a member added is unstarted (no name, no client URLs) until it starts and
    // publishes its own attributes. The name a caller gives is not recorded for it.
    const info: MemberInfo = { name: "", peerURLs: urls, clientURLs: [] };
    const type = input.isLearner ? "addLearner" : "addVoter";
    await this.#change({ type, nodeId: id, context: encodeMemberContext(info) }, () => {
      const now = this.#host.raft.confState();
      return input.isLearner ? now.learners.includes(id) : now.voters.includes(id);
    });
    const members = this.#host.listMembers();
    const member = members.find((m) => m.id === id);
    if (member === undefined) throw new NodeError("RAFTKV_LEADER_CHANGED");
    return { member, members };
  }

  async remove(id: number): Promise<Member[]> {
    this.#requireLeader();
    const cs = this.#host.raft.confState();
    const isVoter = cs.voters.includes(id);
    if (!isVoter && !cs.learners.includes(id)) throw new NodeError("RAFTKV_MEMBER_NOT_FOUND");
    if (isVoter && cs.voters.length === 1) {
      throw new NodeError("RAFTKV_UNHEALTHY", "etcdserver: cannot remove the last voting member");
    }
    await this.#change({ type: "removeNode", nodeId: id, context: new Uint8Array(0) }, () => {
      const now = this.#host.raft.confState();
      return !now.voters.includes(id) && !now.learners.includes(id);
    });
    return this.#host.listMembers();
  }

  async promote(id: number): Promise<Member[]> {
    this.#requireLeader();
    const cs = this.#host.raft.confState();
    if (cs.voters.includes(id)) throw new NodeError("RAFTKV_MEMBER_NOT_LEARNER");
    if (!cs.learners.includes(id)) throw new NodeError("RAFTKV_MEMBER_NOT_FOUND");
    const st = this.#host.raft.status();
    const learner = st.progress?.get(id);
    const leader = st.progress?.get(this.#host.raft.id);
    if (learner === undefined || leader === undefined || !learnerInSync(learner.match, leader.match)) {
      throw new NodeError("RAFTKV_LEARNER_NOT_READY");
    }
    await this.#change({ type: "addVoter", nodeId: id, context: new Uint8Array(0) }, () =>
      this.#host.raft.confState().voters.includes(id),
    );
    return this.#host.listMembers();
  }

  #requireLeader(): void {
    if (this.#host.raft.role !== "leader") {
      throw new NodeError(this.#host.raft.leaderId === NONE ? "RAFTKV_NO_LEADER" : "RAFTKV_NOT_LEADER");
    }
  }

  /**
   * Propose `cc` (waiting while an earlier change is still being applied) and wait until it is
   * applied here. `done` checks the configuration afterwards: if another leader overwrote the
   * entry, the change did not happen and the caller hears "leader changed".
   */
  async #change(cc: ConfChange, done: () => boolean): Promise<void> {
    const host = this.#host;
    const deadline = Date.now() + host.requestTimeoutMs;
    let index = 0;
    for (;;) {
      this.#requireLeader();
      try {
        host.raft.proposeConfChange(cc);
        index = host.raft.status().lastIndex;
        break;
      } catch (err) {
        if (!(err instanceof RaftError)) throw err;
        if (err.code === "RAFTKV_BAD_CONF_CHANGE") {
          throw new NodeError("RAFTKV_UNHEALTHY", `etcdserver: ${err.message}`, { cause: err });
        }
        if (err.code !== "RAFTKV_CONF_CHANGE_PENDING") throw mapProposeError(err);
      }
      // An earlier change is still being applied: wait for the applied index to move, then retry.
      const applied = host.raft.status().appliedIndex;
      const moved = await host.waitFor(() => host.raft.status().appliedIndex > applied, deadline);
      if (!moved) throw new NodeError("RAFTKV_TIMEOUT");
    }
    const term = host.raft.term;
    host.kick();
    const applied = await host.waitFor(
      () => host.raft.status().appliedIndex >= index || host.raft.term !== term,
      deadline,
    );
    if (!applied) throw new NodeError("RAFTKV_TIMEOUT");
    if (!done()) throw new NodeError("RAFTKV_LEADER_CHANGED");
  }

  #newMemberId(): NodeId {
    const taken = new Set<number>([
      ...this.#host.raft.confState().voters,
      ...this.#host.raft.confState().learners,
      ...this.#host.memberTable.removed,
      ...this.#host.memberTable.entries().map(([id]) => id),
    ]);
    for (;;) {
      const id = Number(randomBytes(8).readBigUInt64BE(0) & ((1n << 53n) - 1n));
      if (id !== NONE && !taken.has(id)) return id;
    }
  }
}

function mapProposeError(err: RaftError): NodeError {
  switch (err.code) {
    case "RAFTKV_NOT_LEADER":
      return new NodeError("RAFTKV_NOT_LEADER", undefined, { cause: err });
    case "RAFTKV_TOO_MANY_UNCOMMITTED":
      return new NodeError("RAFTKV_TOO_MANY_REQUESTS", undefined, { cause: err });
    default:
      return new NodeError("RAFTKV_LEADER_CHANGED", undefined, { cause: err });
  }
}
