// Scripted scenarios, one per claim of the Raft paper / thesis. They run on the same cluster
// and checker as the random simulation, so every step is also checked for safety.

import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../src/raft/storage.js";
import type { Entry, Message, NodeId } from "../../src/raft/types.js";
import { SafetyViolation } from "./checker.js";
import { Scenario } from "./scenario.js";

const EMPTY = new Uint8Array(0);

/** A durable log with the given entry terms (index 1 first) and membership {1,2,3}. */
function handMadeLog(terms: readonly number[], currentTerm: number): MemoryStorage {
  const storage = new MemoryStorage();
  // The same (index, term) must carry the same data on every node (log matching).
  const entries: Entry[] = terms.map((term, i) => ({
    index: i + 1,
    term,
    type: "normal",
    data: Uint8Array.of(i + 1, term),
  }));
  storage.append(entries);
  storage.setHardState({ term: currentTerm, vote: 0, commit: 0 });
  storage.setConfState({ voters: [1, 2, 3], learners: [] });
  return storage;
}

function count(messages: readonly Message[], type: Message["type"]): number {
  return messages.filter((m) => m.type === type).length;
}

describe("scenarios", () => {
  // Reference: Raft paper §5.3, Figure 7 — a new leader forces followers whose logs are
  // missing entries, hold extra uncommitted entries, or both, to duplicate its own log.
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: [string, number[]][] = [
    ["(a) missing entries", [1, 1, 1, 4, 4, 5, 5, 6, 6]],
    ["(b) missing many entries", [1, 1, 1, 4]],
    ["(c) an extra entry of the leader's last term", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]],
    ["(d) extra entries of a later term", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]],
    ["(e) missing and extra entries", [1, 1, 1, 4, 4, 4, 4]],
    ["(f) a divergent history", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]],
  ];
  for (const [name, followerLog] of followers) {
    it(`Figure 7 ${name}: the follower converges to the leader's log`, () => {
      const storages = new Map<NodeId, MemoryStorage>([
        [1, handMadeLog(leaderLog, 7)],
        [2, handMadeLog(followerLog, 7)],
        [3, handMadeLog(leaderLog, 7)],
      ]);
      const s = new Scenario({ voters: [1, 2, 3], storages });
      s.elect(1);
      s.tickAll(3);
      expect(s.term(1)).toBe(8);
      const expected = [...leaderLog, 8]; // the leader's own no-op of term 8
      expect(s.logTerms(1)).toEqual(expected);
      expect(s.logTerms(2)).toEqual(expected);
      expect(s.cluster.status(2).commitIndex).toBe(expected.length);
    });
  }

  // Reference: Raft paper §5.4.2, Figure 8 — an entry of an earlier term stored on a majority
  // is not committed by counting replicas; a later leader may still overwrite it.
  function figure8(plantBug: boolean): Scenario {
    const s = new Scenario({
      voters: [1, 2, 3, 4, 5],
      // One entry per append, so an old-term entry can be acknowledged alone; no pre-vote or
      // leases, so the script controls every election.
      core: {
        maxMsgBytes: 1,
        preVote: false,
        checkQuorum: false,
        plantedBugs: plantBug ? { commitPreviousTermByCount: true } : undefined,
      },
      // End-to-end checks only: the bug must surface as lost committed data.
      ruleChecks: !plantBug,
    });
    // (a) S1 leads term 2 and replicates index 7 to S2 only.
    s.elect(1);
    expect(s.term(1)).toBe(2);
    s.partition([1, 2], [3, 4, 5]);
    s.cluster.propose(1);
    s.stabilize();
    expect(s.logTerms(2).at(-1)).toBe(2);
    expect(s.cluster.status(1).commitIndex).toBe(6);
    // (b) S1 crashes; S5 leads term 3 with votes from S3, S4 and writes index 7 in term 3, alone.
    s.cluster.crash(1);
    s.heal();
    s.partition([1], [2], [3, 4, 5]);
    s.drop = (m) => m.type === "app" && m.from === 5;
    s.elect(5);
    expect(s.term(5)).toBe(3);
    s.drop = undefined;
    // (c) S5 crashes, S1 restarts.
    s.cluster.crash(5);
    s.heal();
    s.partition([1, 2, 3], [4], [5]);
    s.cluster.restart(1);
    // S1 leads term 4 (S3 voted in term 3 already, so it takes two rounds) and replicates
    // index 7 (term 2) to S3, but not its own entry of term 4: S3 sees appends carrying the
    // term-4 entry only when it cannot accept them (and so rejects, making S1 back off).
    const s3 = s.cluster.node(3).storage;
    s.drop = (m) =>
      m.type === "app" && m.to === 3 && m.entries.some((e) => e.term === 4) && m.index <= s3.lastIndex();
    s.campaign(1);
    s.stabilize();
    if (s.role(1) !== "leader") s.elect(1);
    expect(s.term(1)).toBe(4);
    expect(s.logTerms(3).slice(0, 7)).toEqual([1, 1, 1, 1, 1, 2, 2]);
    return s;
  }

  /** (d) S1 crashes, S5 restarts and wins term 5 with S3 and S4 (S2's log is more up to
   *  date), then overwrites index 7 everywhere. */
  function figure8Finish(s: Scenario): void {
    s.cluster.crash(1);
    s.cluster.restart(5);
    s.heal();
    s.drop = undefined;
    s.campaign(5);
    s.stabilize();
    if (s.role(5) !== "leader") s.elect(5);
    s.tickAll(3);
  }

  it("Figure 8: a leader does not commit an earlier term's entry by counting replicas", () => {
    const s = figure8(false);
    expect(s.cluster.status(1).commitIndex).toBe(6);
    figure8Finish(s);
    expect(s.term(5)).toBe(5);
    for (const id of [2, 3, 4, 5]) expect(s.logTerms(id)[6]).toBe(3);
    expect(s.cluster.status(5).commitIndex).toBe(8);
  });

  it("Figure 8 with commitPreviousTermByCount planted: the checker sees a committed entry lost", () => {
    let violation: unknown = null;
    try {
      const s = figure8(true);
      expect(s.cluster.status(1).commitIndex).toBe(7); // the bug commits index 7 of term 2
      figure8Finish(s);
    } catch (err) {
      violation = err;
    }
    expect(violation).toBeInstanceOf(SafetyViolation);
    expect(["leaderCompleteness", "committedEntryLost", "stateMachineSafety"]).toContain(
      (violation as SafetyViolation).check,
    );
  });

  // Reference: Raft paper §5.2 — randomized election timeouts resolve split votes.
  it("a split vote is resolved by randomized timeouts", () => {
    const s = new Scenario({ voters: [1, 2, 3, 4], core: { preVote: false } });
    // 1 and 2 campaign at once; 3 hears only 1 and 4 hears only 2: two votes each.
    s.drop = (m) => m.type === "vote" && ((m.from === 1 && m.to === 4) || (m.from === 2 && m.to === 3));
    s.campaign(1);
    s.campaign(2);
    s.stabilize();
    expect(s.leaders()).toEqual([]);
    expect(s.role(1)).toBe("candidate");
    expect(s.role(2)).toBe("candidate");
    s.drop = undefined;
    const rounds = s.tickUntil(() => s.leaders().length === 1, 200);
    expect(rounds).toBeLessThan(200);
    const leader = s.leaders()[0]!;
    expect(s.term(leader)).toBeGreaterThan(2);
  });

  // Reference: thesis §9.6 — pre-vote: a partitioned node cannot raise its term, so it does
  // not disrupt the cluster when it rejoins.
  it("pre-vote keeps a partitioned node from disrupting the leader", () => {
    const s = new Scenario({ voters: [1, 2, 3], core: { preVote: true, checkQuorum: true } });
    s.elect(1);
    const term = s.term(1);
    s.isolate(3);
    s.tickAll(100);
    expect(s.term(3)).toBe(term);
    s.heal();
    s.tickAll(50);
    expect(s.leaders()).toEqual([1]);
    expect(s.term(1)).toBe(term);
    expect(s.term(3)).toBe(term);
  });

  it("without pre-vote the same partition does disrupt the leader (the scenario is sharp)", () => {
    const s = new Scenario({ voters: [1, 2, 3], core: { preVote: false, checkQuorum: false } });
    s.elect(1);
    const term = s.term(1);
    s.isolate(3);
    s.tickAll(100);
    expect(s.term(3)).toBeGreaterThan(term);
    s.heal();
    s.tickAll(50);
    expect(s.term(1)).toBeGreaterThan(term);
  });

  // Reference: thesis §6.2 — check-quorum: a leader that cannot reach a majority steps down.
  it("check-quorum: an isolated leader steps down and the rest elect a new one", () => {
    const s = new Scenario({ voters: [1, 2, 3], core: { checkQuorum: true } });
    s.elect(1);
    s.isolate(1);
    s.tickAll(30);
    expect(s.role(1)).toBe("follower");
    const others = s.leaders();
    expect(others.length).toBe(1);
    expect(others[0]).not.toBe(1);
  });

  // Reference: thesis §3.10 — leadership transfer: the leader brings the target up to date
  // and sends TimeoutNow; the target wins the next term at once.
  it("leadership transfer hands over with TimeoutNow", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    s.elect(1);
    const term = s.term(1);
    s.cluster.propose(1);
    s.cluster.transferLeader(1, 3);
    s.cluster.handleReady(1);
    s.stabilize();
    expect(s.leaders()).toEqual([3]);
    expect(s.term(3)).toBe(term + 1);
    expect(count(s.delivered, "timeoutNow")).toBe(1);
  });

  // Reference: thesis §3.10 — proposals are refused while a transfer is in progress.
  it("a proposal is refused during a leadership transfer, and accepted after it is abandoned", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    s.elect(1);
    s.isolate(3);
    s.cluster.transferLeader(1, 3);
    s.cluster.handleReady(1);
    expect(s.cluster.propose(1).refusedCode).toBe("RAFTKV_TRANSFER_IN_PROGRESS");
    // The transfer is abandoned after an election timeout; 1 still leads with 2.
    s.tickAll(25);
    expect(s.leaders()).toEqual([1]);
    expect(s.cluster.propose(1).refusedCode).toBeNull();
  });

  // Reference: thesis §4.2.1 (learners catch up before they vote) and §5 (log compaction:
  // InstallSnapshot for a follower whose entries were compacted).
  it("a learner catches up from a snapshot, then is promoted", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    s.elect(1);
    for (let i = 0; i < 20; i++) s.cluster.propose(1, 100);
    s.stabilize();
    for (const id of [1, 2, 3]) s.cluster.compact(id);
    s.cluster.addEmptyNode(4);
    expect(s.cluster.proposeConfChange(1, { type: "addLearner", nodeId: 4, context: EMPTY })).toBeNull();
    s.stabilize();
    s.tickAll(5);
    expect(count(s.delivered, "snap")).toBeGreaterThanOrEqual(1);
    expect(s.cluster.node(4).storage.snapshot().meta.index).toBeGreaterThan(20);
    expect(s.cluster.status(4).confState.learners).toEqual([4]);
    expect(s.cluster.node(4).sm.appliedIndex).toBe(s.cluster.node(1).sm.appliedIndex);
    expect(s.cluster.node(4).sm.chainHash).toBe(s.cluster.node(1).sm.chainHash);
    expect(s.cluster.proposeConfChange(1, { type: "addVoter", nodeId: 4, context: EMPTY })).toBeNull();
    s.tickAll(5);
    expect(s.cluster.status(1).confState.voters).toContain(4);
    expect(s.cluster.status(4).confState.voters).toContain(4);
  });

  // Reference: thesis §6.4 — a new leader serves ReadIndex only after committing an entry of
  // its own term (its commit index may lag behind the true one until then).
  it("ReadIndex waits for the leader's first commit in its term", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    s.drop = (m) => m.type === "appResp" && m.to === 1;
    s.elect(1);
    const noop = s.cluster.status(1).lastIndex;
    expect(s.cluster.status(1).commitIndex).toBeLessThan(noop);
    const read = s.cluster.readIndex(1);
    s.cluster.handleReady(1);
    s.stabilize();
    expect(read.refusedCode).toBeNull();
    expect(read.answeredIndex).toBe(0);
    s.drop = undefined;
    s.tickAll(3);
    expect(read.answeredIndex).toBeGreaterThanOrEqual(noop);
  });

  // Issue 4 (fixed in 36a8eec): a leader paused (SIGSTOP) with its read's heartbeat answers on
  // the way; the others elect a new leader and commit. Resumed, it takes a read that waited for
  // it, re-issues the old read and only then hears the second old answer. That answer must not
  // release the newer read (with readAckByContext planted it does, and the checker sees it).
  for (const planted of [false, true]) {
    it(`a paused leader's late heartbeat answer ${planted ? "releases a newer read (readAckByContext planted)" : "does not release a newer read"}`, () => {
      const s = new Scenario({ voters: [1, 2, 3], core: { plantedBugs: { readAckByContext: planted } } });
      const c = s.cluster;
      s.elect(1);
      const old = c.readIndex(1);
      c.handleReady(1);
      c.pause(1);
      s.stabilize();
      expect(old.answeredIndex).toBe(0); // its answers wait for n1
      for (let i = 0; i < 200 && s.role(2) !== "leader" && s.role(3) !== "leader"; i++) {
        s.tick(2);
        s.tick(3);
        s.stabilize();
      }
      const next = s.role(2) === "leader" ? 2 : 3;
      c.propose(next);
      c.handleReady(next);
      s.stabilize();
      expect(s.role(1)).toBe("leader"); // paused: it has heard nothing
      const fresh = c.readIndex(1); // waits in n1's backlog; must see what `next` committed

      const backlog = c.resume(1);
      const answers = backlog.filter((b) => "item" in b && b.item.message.type === "heartbeatResp");
      expect(answers.map((b) => b.source).sort()).toEqual(["n2", "n3"]);
      const handle = (b: (typeof backlog)[number] | undefined) => {
        c.processBacklogged(1, b!);
        c.handleReady(1);
      };
      handle(answers[0]);
      expect(old.answeredIndex).toBeGreaterThan(0);
      handle(backlog.find((b) => "what" in b && b.what.startsWith("readIndex")));
      c.reissueRead(old);
      c.handleReady(1);
      if (planted) {
        expect(() => handle(answers[1])).toThrow(/\[linearizableRead\]/);
      } else {
        handle(answers[1]);
        expect(fresh.answeredIndex).toBe(0);
      }
    });
  }

  it("a paused node holds its messages and requests; killed, it loses them", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    const c = s.cluster;
    s.elect(1);
    c.pause(2);
    c.propose(1);
    c.handleReady(1);
    s.stabilize();
    const read = c.readIndex(2);
    expect(c.node(2).backlog.length).toBeGreaterThan(1); // appends from n1, the read
    expect(c.status(1).commitIndex).toBe(c.status(1).lastIndex); // n1 and n3 committed
    expect(c.status(2).lastIndex).toBeLessThan(c.status(1).lastIndex);
    c.crash(2);
    expect(c.node(2).paused).toBe(false);
    expect(c.node(2).backlog).toEqual([]);
    c.restart(2);
    s.tickAll(3);
    expect(c.status(2).lastIndex).toBe(c.status(1).lastIndex);
    expect(read.answeredIndex).toBe(0); // lost with the process
  });

  // Reference: DESIGN.md (cluster ID) — messages from another cluster, or from a node that is
  // not a member, are dropped and counted without effect. (Vote requests from non-members are
  // answered: a voter may not know a new member yet; see the fix in Raft's #acceptFrom.)
  it("messages from another cluster or a non-member are rejected and counted", () => {
    const s = new Scenario({ voters: [1, 2, 3] });
    s.elect(1);
    const node2 = s.cluster.node(2).core;
    const before = node2.status();
    const vote: Message = {
      type: "vote",
      clusterId: 99,
      from: 3,
      to: 2,
      term: before.term + 5,
      logTerm: 100,
      index: 100,
      entries: [],
      commit: 0,
      snapshot: null,
      reject: false,
      rejectHint: 0,
      context: EMPTY,
    };
    node2.step(vote);
    node2.step({ ...vote, type: "appResp", clusterId: s.cluster.clusterId, from: 42 });
    const after = node2.status();
    expect(after.rejectedForeign).toBe(before.rejectedForeign + 2);
    expect(after.term).toBe(before.term);
    expect(node2.hasReady()).toBe(false);
  });
});
