// The liveness phase of a random run: after the faults, everything heals and every node
// restarts; nothing fails any more. Within a bounded number of ticks there must be a leader
// that every member follows, a proposal and a read made on each member must complete, and all
// members must end with identical, fully committed and applied logs.

import type { NodeId } from "../../src/raft/types.js";
import type { Cluster } from "./cluster.js";
import { RELIABLE } from "./network.js";
import { type Profile, TICK_UNITS } from "./profile.js";

export class LivenessFailure extends Error {
  readonly check = "liveness";
}

/** What the liveness phase needs from the random run that precedes it. */
export interface LivenessHost {
  readonly cluster: Cluster;
  readonly profile: Profile;
  /** One time unit of the run, without faults. */
  step(faults: false): void;
  handleInput(id: NodeId): void;
}

interface Probes {
  members: NodeId[];
  proposals: number[];
  reads: string[];
}

export class LivenessPhase {
  readonly #host: LivenessHost;
  #boundTicks = 0;

  constructor(host: LivenessHost) {
    this.#host = host;
  }

  /** Heal everything and restart every node; from now on nothing fails. */
  #heal(): void {
    const c = this.#host.cluster;
    c.phase = "liveness";
    c.network.heal();
    c.network.faults = { ...RELIABLE, latencyMaxUnits: this.#host.profile.faults.latencyMaxUnits };
    for (const node of c.nodes.values()) {
      if (!node.alive) {
        c.restart(node.id);
        this.#host.handleInput(node.id);
      }
    }
    c.trace(() => "HEAL: network healed, all nodes up");
  }

  /** Runs the liveness phase; throws LivenessFailure if it does not settle in time. The clock
   *  starts once the fault phase has drained: every message sent during it has arrived or been
   *  dropped, and every leadership transfer begun during it has finished or been abandoned
   *  (within an election timeout; a TimeoutNow sent just before the abandonment still makes
   *  its target campaign, and that election can lose entries the old leader accepted). */
  run(): void {
    this.#heal();
    const c = this.#host.cluster;
    const f = this.#host.profile.faults;
    const transferUnits = 2 * (this.#host.profile.core.electionTicks ?? 10) * TICK_UNITS;
    const drainEnd = c.now + 2 * f.latencyMaxUnits + f.longDelayMaxUnits + transferUnits;
    while (c.now < drainEnd) {
      c.now++;
      this.#host.step(false);
    }
    const limitUnits = c.now + this.#livenessBoundTicks() * TICK_UNITS;
    const leader = this.#waitFor(limitUnits, () => this.#stableLeader(), "no stable leader");
    const probes = this.#issueProbes(leader);
    this.#waitFor(limitUnits, () => (this.#probesDone(probes) ? true : null), "probes did not complete");
    // Entries appended late (a proposal forwarded just before the heal) must commit too.
    this.#waitFor(limitUnits, () => (this.#convergence() === null ? true : null), "members did not converge");
    this.#checkProposalsAccounted();
  }

  /** The bound: enough election timeouts to elect a leader, plus time for the furthest-behind
   *  member to catch up at one entry per two round trips (the slowest profile: one entry per
   *  message, one message in flight, reordering causing rejections). */
  #livenessBoundTicks(): number {
    let lastIndexMax = 0;
    for (const n of this.#host.cluster.nodes.values())
      lastIndexMax = Math.max(lastIndexMax, n.storage.lastIndex());
    const roundTripTicks = Math.ceil((2 * this.#host.profile.faults.latencyMaxUnits) / TICK_UNITS) + 1;
    this.#boundTicks = this.#host.profile.livenessTicks + 2 * roundTripTicks * lastIndexMax;
    return this.#boundTicks;
  }

  #waitFor<T>(limitUnits: number, done: () => T | null, what: string): T {
    const c = this.#host.cluster;
    for (;;) {
      if (c.now % TICK_UNITS === 0) {
        const result = done();
        if (result !== null) return result;
      }
      if (c.now >= limitUnits) {
        throw new LivenessFailure(
          `${what} within ${this.#boundTicks} ticks after healing; ${this.#describeNodes()}`,
        );
      }
      c.now++;
      this.#host.step(false);
    }
  }

  #describeNodes(): string {
    const parts: string[] = [];
    for (const n of this.#host.cluster.nodes.values()) {
      if (n.raft === null) {
        parts.push(`n${n.id} down`);
        continue;
      }
      const st = n.raft.status();
      parts.push(
        `n${n.id} ${st.role} t${st.term} lead=${st.leaderId} commit=${st.commitIndex} last=${st.lastIndex} ` +
          `applied=${st.appliedIndex} voters=[${st.confState.voters}] learners=[${st.confState.learners}]` +
          (st.progress === null
            ? ""
            : ` progress={${[...st.progress].map(([id, p]) => `${id}:${p.state} m${p.match} n${p.next} if${p.inflight}${p.recentActive ? "" : " inactive"}`).join(", ")}}`),
      );
    }
    const pending = this.#host.cluster.proposals.filter(
      (p) => p.phase === "liveness" && p.committedIndex === 0,
    );
    const reads = [...this.#host.cluster.reads.values()].filter(
      (r) => r.phase === "liveness" && r.answeredIndex === 0,
    );
    return (
      `${parts.join("; ")}; uncommitted probes [${pending.map((p) => `#${p.id}@n${p.nodeId}`)}]` +
      `; unanswered reads at [${reads.map((r) => `n${r.nodeId}`)}]`
    );
  }

  /** A live leader whose whole configuration follows it in its term, all caught up. */
  #stableLeader(): NodeId | null {
    const leaders = this.#host.cluster.leaders();
    for (const { id, term } of leaders) {
      const st = this.#host.cluster.status(id);
      const members = [...st.confState.voters, ...st.confState.learners];
      if (!st.confState.voters.includes(id)) continue;
      let followed = true;
      for (const m of members) {
        if (m === id) continue;
        const node = this.#host.cluster.nodes.get(m);
        if (node?.raft == null || node.raft.term !== term || node.raft.leaderId !== id) followed = false;
      }
      if (followed && st.commitIndex === st.lastIndex && st.leadTransferee === 0) return id;
    }
    return null;
  }

  #issueProbes(leader: NodeId): Probes {
    const c = this.#host.cluster;
    const conf = c.node(leader).core.confState();
    c.trace(() => `LIVENESS: probes via leader n${leader}`);
    const members = [...conf.voters, ...conf.learners];
    const proposals: number[] = [];
    const reads: string[] = [];
    for (const id of [leader, ...members.filter((x) => x !== leader)]) {
      const p = c.propose(id, 8);
      if (p.refusedCode !== null)
        throw new LivenessFailure(`probe proposal on ${id} refused: ${p.refusedCode}`);
      proposals.push(p.id);
      const r = c.readIndex(id);
      if (r.refusedCode !== null) throw new LivenessFailure(`probe read on ${id} refused: ${r.refusedCode}`);
      reads.push(r.key);
      c.handleReady(id);
    }
    return { members, proposals, reads };
  }

  #probesDone(probes: Probes): boolean {
    const c = this.#host.cluster;
    let maxIndex = 0;
    for (const pid of probes.proposals) {
      const idx = c.proposals[pid - 1]?.committedIndex ?? 0;
      if (idx === 0) return false;
      maxIndex = Math.max(maxIndex, idx);
    }
    for (const key of probes.reads) if ((c.reads.get(key)?.answeredIndex ?? 0) === 0) return false;
    return probes.members.every((m) => c.node(m).sm.appliedIndex >= maxIndex);
  }

  /** Every member holds the same log, all of it committed and applied; null when so, else
   *  what is missing. */
  #convergence(): string | null {
    const c = this.#host.cluster;
    let leader: { id: NodeId; term: number } | undefined;
    for (const l of c.leaders()) if (leader === undefined || l.term > leader.term) leader = l;
    if (leader === undefined) return "no leader";
    const lst = c.status(leader.id);
    for (const m of [...lst.confState.voters, ...lst.confState.learners]) {
      const st = c.status(m);
      if (
        st.commitIndex !== lst.lastIndex ||
        st.lastIndex !== lst.lastIndex ||
        st.appliedIndex !== st.commitIndex
      ) {
        return `member ${m} at commit ${st.commitIndex}, last ${st.lastIndex}, applied ${st.appliedIndex}`;
      }
      if (c.node(m).sm.appliedIndex !== st.appliedIndex) return `member ${m} state machine behind`;
    }
    return null;
  }

  /** Proposals accepted by a leader after healing must have committed; nothing else may
   *  hang: a fault-phase proposal either committed, was refused, or was lost with its leader. */
  #checkProposalsAccounted(): void {
    for (const p of this.#host.cluster.proposals) {
      if (p.phase === "liveness" && p.acceptedByLeader && p.committedIndex === 0) {
        throw new LivenessFailure(
          `proposal #${p.id} accepted by leader ${p.nodeId} after healing never committed`,
        );
      }
    }
  }
}
