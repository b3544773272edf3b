// The decisions of a node with an empty data dir (src/node/join.ts) and the rules of membership
// changes (src/node/membership.ts), as pure functions.

import { describe, expect, it } from "vitest";
import type { WireMember } from "../../src/api/wire.js";
import { decideJoin, type JoinInput, type ProbeAnswer } from "../../src/node/join.js";
import { learnerInSync, normalizePeerURL } from "../../src/node/membership.js";

const SELF = "http://raftkv-1.raftkv:2380";
const INITIAL_CLUSTER = 0xc1;
const BOOT_ID = 11;

function member(id: number, name: string, isLearner = false): WireMember {
  return { ID: id, name, peerURLs: [`http://${name}.raftkv:2380`], clientURLs: [], isLearner };
}

function answer(over: Partial<ProbeAnswer> = {}): ProbeAnswer {
  return {
    endpoint: "raftkv-0.raftkv:2379",
    clusterId: INITIAL_CLUSTER,
    memberId: 10,
    leader: 0,
    raftIndex: 3,
    members: [member(10, "raftkv-0"), member(BOOT_ID, "raftkv-1"), member(12, "raftkv-2")],
    ...over,
  };
}

function decide(over: Partial<JoinInput>) {
  return decideJoin({
    state: "auto",
    mayBootstrap: true,
    selfPeerURL: SELF,
    initialClusterId: INITIAL_CLUSTER,
    initialSize: 3,
    bootstrapMemberId: BOOT_ID,
    answers: [],
    ...over,
  });
}

describe("decideJoin (auto)", () => {
  it("bootstraps an initial member when nobody answers (a new cluster)", () => {
    expect(decide({})).toEqual({ kind: "bootstrap" });
  });

  it("waits as a later pod when nobody answers: it can never bootstrap", () => {
    expect(decide({ mayBootstrap: false }).kind).toBe("wait");
  });

  it("bootstraps with the others when they bootstrapped but have not committed past it", () => {
    expect(decide({ answers: [answer()] })).toEqual({ kind: "bootstrap" });
  });

  it("does not bootstrap into a cluster that committed more: its earlier life may hold votes", () => {
    expect(decide({ answers: [answer({ raftIndex: 40 })] }).kind).toBe("wait");
  });

  it("registers anew, removing its stale entry, when a leader runs and lists it (lost volume)", () => {
    expect(decide({ answers: [answer({ leader: 10, raftIndex: 500 })] })).toEqual({
      kind: "register",
      clusterId: INITIAL_CLUSTER,
      staleId: BOOT_ID,
    });
  });

  it("registers as a new member when a leader runs and does not list it (scale up)", () => {
    const others = [member(10, "raftkv-0"), member(12, "raftkv-2")];
    expect(decide({ mayBootstrap: false, answers: [answer({ leader: 10, members: others })] })).toEqual({
      kind: "register",
      clusterId: INITIAL_CLUSTER,
      staleId: null,
    });
  });

  it("never bootstraps into another cluster (another token or initial size)", () => {
    expect(decide({ answers: [answer({ clusterId: 0xbad })] }).kind).toBe("wait");
  });

  it("fails when the endpoints answer for different clusters", () => {
    const d = decide({ answers: [answer(), answer({ clusterId: 0xbad, endpoint: "x:2379" })] });
    expect(d.kind).toBe("fail");
  });
});

describe("decideJoin (existing)", () => {
  it("takes the ID the cluster lists for its peer URL", () => {
    const listed = [member(10, "raftkv-0"), member(77, "raftkv-1", true)];
    expect(decide({ state: "existing", answers: [answer({ leader: 10, members: listed })] })).toEqual({
      kind: "attach",
      clusterId: INITIAL_CLUSTER,
      memberId: 77,
    });
  });

  it("fails, naming the command to run, when it was not added first", () => {
    const d = decide({ state: "existing", answers: [answer({ members: [member(10, "raftkv-0")] })] });
    expect(d).toMatchObject({ kind: "fail" });
    expect((d as { reason: string }).reason).toMatch(/raftkv members add/);
  });

  it("waits while nobody answers", () => {
    expect(decide({ state: "existing" }).kind).toBe("wait");
  });
});

describe("membership rules", () => {
  it("normalizes peer URLs and refuses anything but http(s)://host:port", () => {
    expect(normalizePeerURL("raftkv-3.raftkv:2380")).toBe("http://raftkv-3.raftkv:2380");
    expect(normalizePeerURL("https://h:2380/")).toBe("https://h:2380");
    expect(normalizePeerURL("http://[::1]:2380")).toBe("http://[::1]:2380");
    for (const bad of ["", "h", "h:0", "h:70000", "ftp://h:1", "not a url", "http://h:2380/path"]) {
      expect(normalizePeerURL(bad), bad).toBeNull();
    }
  });

  it("calls a learner in sync at 90 % of the leader's match index, as etcd does", () => {
    expect(learnerInSync(90, 100)).toBe(true);
    expect(learnerInSync(89, 100)).toBe(false);
    expect(learnerInSync(0, 0)).toBe(true);
  });
});
