// ReadIndex under a re-issued context. The node re-issues a read whose answer it has not seen
// after an election timeout (src/node/node.ts #retryStaleReads), under the same context. Found by
// the fault harness (issue 4, seed 31): a leader paused by SIGSTOP answered a read that arrived
// during the pause with its pre-pause commit index, after another leader had committed newer
// writes. Heartbeat answers sent before the pause confirmed a re-issued older context, and the
// leader released every read queued before it, including the new one.

import { describe, expect, it } from "vitest";
import type { Message } from "../../src/raft/index.js";
import { Cluster, type TestNode } from "./harness.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** Deliver messages one by one, returning what the receivers sent back. */
function deliver(c: Cluster, msgs: readonly Message[]): Message[] {
  const out: Message[] = [];
  for (const m of msgs) {
    c.node(m.to).raft.step(m);
    out.push(...c.drain(m.to));
  }
  return out;
}

function setup(): { c: Cluster; leader: TestNode; a: TestNode; b: TestNode } {
  const c = new Cluster([1, 2, 3], { checkQuorum: true, preVote: true });
  const leader = c.electLeader();
  leader.raft.propose(enc("before"));
  c.stabilize();
  const [a, b] = [...c.nodes.values()].filter((n) => n !== leader) as [TestNode, TestNode];
  return { c, leader, a, b };
}

describe("ReadIndex with a re-issued context", () => {
  it("an old heartbeat answer does not release a read that arrived after it", () => {
    const { c, leader, a, b } = setup();
    const L = leader.raft.id;
    const oldTerm = leader.raft.term;

    // The leader confirms read "old" with A's answer; B's answer is still on the way.
    leader.raft.readIndex(enc("old"));
    const beats = c.drain(L).filter((m) => m.type === "heartbeat");
    expect(beats).toHaveLength(2);
    const answers = deliver(c, beats);
    const fromA = answers.filter((m) => m.from === a.raft.id);
    const heldFromB = answers.filter((m) => m.from === b.raft.id && m.type === "heartbeatResp");
    expect(heldFromB).toHaveLength(1);
    deliver(c, fromA);
    expect(leader.reads.map((r) => r.ctx)).toEqual(["old"]);

    // The leader is cut off (paused); A and B elect a new leader and commit a write.
    c.isolated.add(L);
    let newLeader: TestNode | undefined;
    for (let i = 0; i < 500 && newLeader === undefined; i++) {
      a.raft.tick();
      b.raft.tick();
      c.stabilize();
      newLeader = [a, b].find((n) => n.raft.role === "leader");
    }
    expect(newLeader).toBeDefined();
    newLeader!.raft.propose(enc("after"));
    c.stabilize();
    const committedAfter = newLeader!.raft.status().commitIndex;
    expect(newLeader!.raft.term).toBeGreaterThan(oldTerm);

    // Still believing it leads, the old leader takes a new read, then re-issues "old" (its
    // answer looked lost), then hears B's answer from before the election.
    expect(leader.raft.role).toBe("leader");
    leader.raft.readIndex(enc("new"));
    leader.raft.readIndex(enc("old"));
    c.drain(L);
    deliver(c, heldFromB);

    // "new" began after "after" was committed: answering it now would be a stale read.
    const answeredNew = leader.reads.filter((r) => r.ctx === "new");
    for (const r of answeredNew) expect(r.index).toBeGreaterThanOrEqual(committedAfter);
    expect(answeredNew).toEqual([]);
  });

  it("a re-issued context is confirmed only by answers to heartbeats sent after it", () => {
    const { c, leader, a, b } = setup();
    const L = leader.raft.id;
    leader.raft.readIndex(enc("r"));
    const first = deliver(
      c,
      c.drain(L).filter((m) => m.type === "heartbeat"),
    );
    deliver(
      c,
      first.filter((m) => m.from === a.raft.id),
    );
    expect(leader.reads.map((r) => r.ctx)).toEqual(["r"]);

    // Re-issued after its answer: a late answer to the first round must not confirm it...
    leader.raft.readIndex(enc("r"));
    const second = c.drain(L).filter((m) => m.type === "heartbeat");
    deliver(
      c,
      first.filter((m) => m.from === b.raft.id),
    );
    expect(leader.reads.map((r) => r.ctx)).toEqual(["r"]);
    // ...while an answer to the heartbeat sent after the re-issue does.
    deliver(
      c,
      deliver(
        c,
        second.filter((m) => m.to === b.raft.id),
      ),
    );
    expect(leader.reads.map((r) => r.ctx)).toEqual(["r", "r"]);
  });
});
