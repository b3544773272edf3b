import { describe, expect, it } from "vitest";
import { type Message, RaftError } from "../../src/raft/index.js";
import { Cluster } from "./harness.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("raft core basics", () => {
  it("a single node elects itself and commits proposals", () => {
    const c = new Cluster([1]);
    const l = c.electLeader();
    l.raft.propose(enc("a"));
    c.stabilize();
    const data = l.applied.filter((e) => e.type === "normal" && e.data.length > 0).map((e) => dec(e.data));
    expect(data).toEqual(["a"]);
  });

  it("three nodes elect one leader and replicate in order", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    for (let i = 0; i < 50; i++) l.raft.propose(enc(`v${i}`));
    c.stabilize();
    c.tickAll(2);
    for (const n of c.nodes.values()) {
      const data = n.applied.filter((e) => e.type === "normal" && e.data.length > 0).map((e) => dec(e.data));
      expect(data).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    }
    const leaders = [...c.nodes.values()].filter((n) => n.raft.role === "leader");
    expect(leaders).toHaveLength(1);
  });

  it("a follower forwards proposals to the leader", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    const f = [...c.nodes.values()].find((n) => n !== l)!;
    f.raft.propose(enc("via-follower"));
    c.stabilize();
    c.tickAll(1);
    expect(l.applied.some((e) => dec(e.data) === "via-follower")).toBe(true);
  });

  it("ReadIndex on leader and follower returns the commit index after a heartbeat round", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    l.raft.propose(enc("x"));
    c.stabilize();
    const commit = l.raft.status().commitIndex;
    l.raft.readIndex(enc("r1"));
    c.stabilize();
    expect(l.reads).toEqual([{ index: commit, ctx: "r1" }]);
    const f = [...c.nodes.values()].find((n) => n !== l)!;
    f.raft.readIndex(enc("r2"));
    c.stabilize();
    expect(f.reads).toEqual([{ index: commit, ctx: "r2" }]);
  });

  it("an isolated leader steps down (check quorum) and the rest elect a new one", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    c.isolated.add(l.raft.id);
    c.tickAll(40);
    expect(l.raft.role).not.toBe("leader");
    const l2 = c.leader();
    expect(l2).toBeDefined();
    expect(l2!.raft.id).not.toBe(l.raft.id);
  });

  it("leadership transfer hands over and refuses proposals meanwhile", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    const target = [...c.nodes.values()].find((n) => n !== l)!;
    c.isolated.add(target.raft.id);
    l.raft.propose(enc("y"));
    c.stabilize();
    l.raft.transferLeader(target.raft.id);
    expect(() => l.raft.propose(enc("z"))).toThrow(RaftError);
    c.isolated.delete(target.raft.id);
    c.tickAll(3);
    expect(target.raft.role).toBe("leader");
  });

  it("membership: add a learner, promote it, remove a voter", () => {
    const c = new Cluster([1, 2, 3]);
    const l = c.electLeader();
    l.raft.proposeConfChange({
      type: "removeNode",
      nodeId: l.raft.id === 3 ? 2 : 3,
      context: new Uint8Array(0),
    });
    c.stabilize();
    c.tickAll(2);
    expect(l.raft.status().confState.voters).toHaveLength(2);
  });
  it("a member removed while its commit index lagged learns its removal from a farewell append", () => {
    // Pre-vote without the check-quorum lease: a removed member that never learns the commit of
    // its removal counts itself a voter, campaigns once the appends stop and, its log being up to
    // date, wins; that election drops whatever the leader had not committed.
    const c = new Cluster([1, 2, 3, 4], { checkQuorum: false, preVote: true });
    const l = c.electLeader();
    const gone = [1, 2, 3, 4].find((id) => id !== l.raft.id)!;
    l.raft.proposeConfChange({ type: "removeNode", nodeId: gone, context: new Uint8Array(0) });
    const removalIndex = l.raft.lastIndex;
    const deliver = (msgs: Message[]) => {
      for (const m of msgs) c.node(m.to).raft.step(m);
    };
    deliver(c.drain(l.raft.id));
    for (const id of [1, 2, 3, 4]) if (id !== l.raft.id) deliver(c.drain(id));
    // The leader commits the removal; its append carrying that commit index to `gone` is lost.
    const rd = l.raft.ready();
    l.storage.append(rd.entries);
    if (rd.hardState) l.storage.setHardState(rd.hardState);
    expect(rd.committed.map((e) => e.index)).toContain(removalIndex);
    deliver([...rd.messagesNoWait, ...rd.messages].filter((m) => m.to !== gone));
    expect(c.node(gone).raft.status().commitIndex).toBeLessThan(removalIndex);
    l.raft.advance(rd);
    expect(l.raft.status().confState.voters).not.toContain(gone);
    // Applying the removal, the leader sends `gone` one last append with the commit index.
    const farewell = c.drain(l.raft.id).filter((m) => m.to === gone);
    expect(farewell.map((m) => [m.type, m.commit >= removalIndex])).toEqual([["app", true]]);
    deliver(farewell);
    c.drain(gone);
    expect(c.node(gone).raft.status().commitIndex).toBeGreaterThanOrEqual(removalIndex);
    expect(c.node(gone).raft.status().confState.voters).not.toContain(gone);
    // It no longer campaigns: the leader keeps its term.
    const term = l.raft.term;
    for (let i = 0; i < 50; i++) {
      c.node(gone).raft.tick();
      c.drain(gone);
    }
    expect(c.node(gone).raft.role).toBe("follower");
    expect(c.node(gone).raft.term).toBe(term);
  });
});
