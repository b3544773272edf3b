// The checker on hand-made states: each safety check must fire on the violation it exists for
// and stay quiet on a legal history. (A checker that never fires proves nothing.)

import { describe, expect, it } from "vitest";
import { decodeConfChange, encodeConfChange } from "../../src/raft/confchange.js";
import { MemoryStorage } from "../../src/raft/storage.js";
import type { Entry, HardState, Message, Ready } from "../../src/raft/types.js";
import { type CheckedNode, Checker, type CheckName, SafetyViolation } from "./checker.js";
import { SimStateMachine } from "./state-machine.js";

function makeNode(id: number): CheckedNode {
  return { id, storage: new MemoryStorage(), sm: new SimStateMachine() };
}

function entry(index: number, term: number, data: number[] = [index]): Entry {
  return { index, term, type: "normal", data: Uint8Array.from(data) };
}

function ready(p: Partial<Ready>): Ready {
  return {
    hardState: null,
    entries: [],
    snapshot: null,
    messagesNoWait: [],
    messages: [],
    committed: [],
    readStates: [],
    role: "follower",
    leaderId: 0,
    term: 1,
    ...p,
  };
}

function message(p: Partial<Message> & Pick<Message, "type" | "from" | "to">): Message {
  return {
    clusterId: 1,
    term: 1,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: null,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
    ...p,
  };
}

/** What the cluster driver does with a Ready, minus the network. */
function drive(checker: Checker, node: CheckedNode, rd: Ready): void {
  checker.checkReady(node, rd);
  if (rd.entries.length > 0) {
    checker.checkEntries(node, rd);
    node.storage.append(rd.entries);
  }
  if (rd.hardState !== null) {
    checker.checkHardState(node, rd.hardState);
    node.storage.setHardState(rd.hardState);
  }
  checker.afterPersist(node);
  for (const m of rd.messages) checker.checkSend(node, m);
  for (const e of rd.committed) {
    checker.checkApply(node, e);
    node.sm.apply(e);
    checker.afterApply(node, e.index);
  }
}

function hs(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

function expectViolation(check: CheckName, f: () => void): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SafetyViolation);
    expect((err as SafetyViolation).check).toBe(check);
    return;
  }
  throw new Error(`expected a ${check} violation`);
}

/** Three voters, registered with empty logs and the configuration {1,2,3}. */
function threeNodes(): { checker: Checker; nodes: CheckedNode[] } {
  const checker = new Checker(decodeConfChange);
  const nodes = [makeNode(1), makeNode(2), makeNode(3)];
  for (const n of nodes) checker.registerNode(n, { voters: [1, 2, 3], learners: [] });
  return { checker, nodes };
}

/** Node 1 leads term 2 and replicates entries 1..2 to node 2, then commits them. */
function legalHistory(): { checker: Checker; nodes: CheckedNode[] } {
  const { checker, nodes } = threeNodes();
  const [n1, n2] = nodes as [CheckedNode, CheckedNode];
  checker.onStateChange(1, { role: "leader", term: 2, leaderId: 1 });
  const ents = [entry(1, 2), entry(2, 2)];
  drive(checker, n1, ready({ role: "leader", term: 2, entries: ents, hardState: hs(2, 1, 0) }));
  drive(checker, n2, ready({ term: 2, entries: ents, hardState: hs(2, 1, 0) }));
  drive(checker, n1, ready({ role: "leader", term: 2, hardState: hs(2, 1, 2), committed: ents }));
  drive(checker, n2, ready({ term: 2, hardState: hs(2, 1, 2), committed: ents }));
  return { checker, nodes };
}

describe("Checker", () => {
  it("accepts a legal history", () => {
    const { checker } = legalHistory();
    expect(checker.globalCommit).toBe(2);
    expect(checker.stats.applied).toBe(4);
  });

  it("electionSafety: two leaders in one term", () => {
    const { checker } = threeNodes();
    checker.onStateChange(1, { role: "leader", term: 3, leaderId: 1 });
    expectViolation("electionSafety", () =>
      checker.onStateChange(2, { role: "leader", term: 3, leaderId: 2 }),
    );
  });

  it("voteOnce: a second vote in the same term, but not a vote in a new term", () => {
    const { checker, nodes } = threeNodes();
    const n3 = nodes[2]!;
    drive(checker, n3, ready({ term: 2, hardState: hs(2, 1, 0) }));
    drive(checker, n3, ready({ term: 3, hardState: hs(3, 2, 0) }));
    expectViolation("voteOnce", () => drive(checker, n3, ready({ term: 3, hardState: hs(3, 1, 0) })));
  });

  it("durableBeforeAck: a vote grant or an append ack for state not yet durable", () => {
    const { checker, nodes } = threeNodes();
    const n3 = nodes[2]!;
    expectViolation("durableBeforeAck", () =>
      checker.checkSend(n3, message({ type: "voteResp", from: 3, to: 1, term: 2 })),
    );
    expectViolation("durableBeforeAck", () =>
      checker.checkSend(n3, message({ type: "appResp", from: 3, to: 1, term: 0, index: 1 })),
    );
    checker.checkSend(n3, message({ type: "voteResp", from: 3, to: 1, term: 2, reject: true }));
  });

  it("logMatching: same index and term with different content or history", () => {
    const { checker, nodes } = threeNodes();
    const [n1, n2, n3] = nodes as [CheckedNode, CheckedNode, CheckedNode];
    drive(checker, n1, ready({ term: 3, entries: [entry(1, 1), entry(2, 3)], hardState: hs(3, 0, 0) }));
    expectViolation("logMatching", () =>
      drive(
        checker,
        n2,
        ready({ term: 3, entries: [entry(1, 1), entry(2, 3, [9])], hardState: hs(3, 0, 0) }),
      ),
    );
    expectViolation("logMatching", () =>
      drive(checker, n3, ready({ term: 3, entries: [entry(1, 2), entry(2, 3)], hardState: hs(3, 0, 0) })),
    );
  });

  it("committedEntryLost: a leader counts its own unpersisted entry towards a commit", () => {
    const { checker, nodes } = threeNodes();
    const [n1, n2] = nodes as [CheckedNode, CheckedNode];
    checker.onStateChange(1, { role: "leader", term: 2, leaderId: 1 });
    drive(checker, n2, ready({ term: 2, entries: [entry(1, 2)], hardState: hs(2, 1, 0) }));
    // Entry 1 is durable on node 2 only; node 1 exposes commit 1 in the same Ready that
    // would persist its own copy: only one of three voters holds it durably.
    expectViolation("committedEntryLost", () =>
      checker.checkReady(
        n1,
        ready({ role: "leader", term: 2, entries: [entry(1, 2)], hardState: hs(2, 1, 1) }),
      ),
    );
  });

  it("committedEntryLost: overwriting a committed entry", () => {
    const { checker, nodes } = legalHistory();
    const n3 = nodes[2]!;
    drive(checker, n3, ready({ term: 2, entries: [entry(1, 2), entry(2, 2)], hardState: hs(2, 0, 0) }));
    expectViolation("committedEntryLost", () =>
      drive(checker, n3, ready({ term: 4, entries: [entry(2, 4)], hardState: hs(4, 0, 0) })),
    );
  });

  it("committedEntryLost: a leader of an earlier term may overwrite an entry committed in a later term", () => {
    // Five voters. Term 2: node 1 writes 1/2 on itself and node 4. Term 3: node 2 leads with an
    // empty log and writes 1/3 on itself. Term 4: node 1 commits 1/2 (and 2/4) on nodes 1, 3, 5.
    // Node 4, still in term 2, then takes node 2's 1/3 over 1/2: legal, as term 3 < term 4.
    const checker = new Checker(decodeConfChange);
    const nodes = [1, 2, 3, 4, 5].map(makeNode);
    const conf = { voters: [1, 2, 3, 4, 5], learners: [] };
    for (const n of nodes) checker.registerNode(n, conf);
    const [n1, n2, n3, n4, n5] = nodes as [CheckedNode, CheckedNode, CheckedNode, CheckedNode, CheckedNode];
    checker.onStateChange(1, { role: "leader", term: 2, leaderId: 1 });
    drive(checker, n1, ready({ role: "leader", term: 2, entries: [entry(1, 2)], hardState: hs(2, 1, 0) }));
    drive(checker, n4, ready({ term: 2, entries: [entry(1, 2)], hardState: hs(2, 1, 0) }));
    checker.onStateChange(2, { role: "leader", term: 3, leaderId: 2 });
    drive(checker, n2, ready({ role: "leader", term: 3, entries: [entry(1, 3)], hardState: hs(3, 2, 0) }));
    checker.onStateChange(1, { role: "leader", term: 4, leaderId: 1 });
    drive(checker, n1, ready({ role: "leader", term: 4, entries: [entry(2, 4)], hardState: hs(4, 1, 0) }));
    for (const n of [n3, n5])
      drive(checker, n, ready({ term: 4, entries: [entry(1, 2), entry(2, 4)], hardState: hs(4, 1, 0) }));
    drive(checker, n1, ready({ role: "leader", term: 4, hardState: hs(4, 1, 2) }));
    drive(checker, n4, ready({ term: 3, entries: [entry(1, 3)], hardState: hs(3, 2, 0) }));
    // An overwrite of 1/2 in term 5, whose leader must hold it, is a violation (node 3 has not
    // learned the commit: its own commit index is 0).
    expectViolation("committedEntryLost", () =>
      drive(checker, n3, ready({ term: 5, entries: [entry(1, 5)], hardState: hs(5, 0, 0) })),
    );
  });

  it("stateMachineSafety: a different entry applied at a committed index", () => {
    const { checker, nodes } = legalHistory();
    const n3 = nodes[2]!;
    const other = [entry(1, 2), entry(2, 3, [7])];
    drive(checker, n3, ready({ term: 3, entries: other, hardState: hs(3, 0, 0) }));
    expectViolation("stateMachineSafety", () =>
      drive(checker, n3, ready({ term: 3, hardState: hs(3, 0, 2), committed: other })),
    );
  });

  it("appliedOnce: applying out of order or beyond the commit index", () => {
    const { checker, nodes } = legalHistory();
    const n2 = nodes[1]!;
    expectViolation("appliedOnce", () => drive(checker, n2, ready({ term: 2, committed: [entry(2, 2)] })));
    const n3 = nodes[2]!;
    drive(checker, n3, ready({ term: 2, entries: [entry(1, 2)], hardState: hs(2, 0, 0) }));
    expectViolation("appliedOnce", () => drive(checker, n3, ready({ term: 2, committed: [entry(1, 2)] })));
  });

  it("leaderCompleteness: a leader elected without a committed entry", () => {
    const { checker, nodes } = legalHistory();
    const n3 = nodes[2]!;
    checker.onStateChange(3, { role: "leader", term: 3, leaderId: 3 });
    expectViolation("leaderCompleteness", () =>
      drive(checker, n3, ready({ role: "leader", term: 3, entries: [entry(1, 3)], hardState: hs(3, 3, 0) })),
    );
  });

  it("leaderCommitRule: committing an entry of an earlier term by counting", () => {
    const { checker, nodes } = threeNodes();
    const [n1, n2] = nodes as [CheckedNode, CheckedNode];
    const old = [entry(1, 2)];
    drive(checker, n1, ready({ term: 2, entries: old, hardState: hs(2, 0, 0) }));
    drive(checker, n2, ready({ term: 2, entries: old, hardState: hs(2, 0, 0) }));
    checker.onStateChange(1, { role: "leader", term: 4, leaderId: 1 });
    drive(
      checker,
      n1,
      ready({ role: "leader", term: 4, entries: [entry(2, 4, [])], hardState: hs(4, 1, 0) }),
    );
    expectViolation("leaderCommitRule", () =>
      drive(checker, n1, ready({ role: "leader", term: 4, hardState: hs(4, 1, 1), committed: old })),
    );
  });

  it("linearizableRead: a read index below what was committed when the read began", () => {
    const { checker, nodes } = legalHistory();
    const n2 = nodes[1]!;
    checker.onReadIssued(2, "r1");
    checker.checkReadState(n2, { index: 2, requestCtx: new Uint8Array(0) }, "r1");
    checker.onReadIssued(2, "r2");
    expectViolation("linearizableRead", () =>
      checker.checkReadState(n2, { index: 1, requestCtx: new Uint8Array(0) }, "r2"),
    );
    expectViolation("linearizableRead", () =>
      checker.checkReadState(n2, { index: 2, requestCtx: new Uint8Array(0) }, "never-issued"),
    );
  });

  it("configSafety: the core's configuration must be the applied log's", () => {
    const checker = new Checker(decodeConfChange);
    const n1 = makeNode(1);
    const cc: Entry = {
      index: 1,
      term: 1,
      type: "confChange",
      data: encodeConfChange({ type: "addVoter", nodeId: 1, context: new Uint8Array(0) }),
    };
    // Bootstrapped: the entry is durable and committed before the node starts.
    n1.storage.append([cc]);
    n1.storage.setHardState(hs(1, 0, 1));
    checker.registerNode(n1, { voters: [], learners: [] });
    const rd = ready({ committed: [cc] });
    drive(checker, n1, rd);
    checker.afterAdvance(n1, rd, { voters: [1], learners: [] });
    expectViolation("configSafety", () => checker.afterAdvance(n1, rd, { voters: [1, 2], learners: [] }));
  });

  it("configSafety: a leader appends a conf change while an earlier one is unapplied", () => {
    const { checker, nodes } = threeNodes();
    const n1 = nodes[0]!;
    const conf = (index: number, nodeId: number): Entry => ({
      index,
      term: 2,
      type: "confChange",
      data: encodeConfChange({ type: "addLearner", nodeId, context: new Uint8Array(0) }),
    });
    checker.onStateChange(1, { role: "leader", term: 2, leaderId: 1 });
    drive(checker, n1, ready({ role: "leader", term: 2, entries: [conf(1, 4)], hardState: hs(2, 1, 0) }));
    expectViolation("configSafety", () =>
      drive(checker, n1, ready({ role: "leader", term: 2, entries: [conf(2, 5)] })),
    );
  });
});
