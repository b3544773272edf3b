// The replicated lease table applied by the state machine: grant, revoke deleting the attached
// keys in one revision, attachment following puts, errors as etcd, checkpoints, and persistence
// across restarts and snapshots.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppliedBatch, KvError, type LeaseGrantResponse } from "../../src/kv/index.js";
import { Harness, putReq, s } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

const keysOf = (id: number): string[] => [...(h.sm.lease(id)?.keys ?? [])].sort();

describe("grant and revoke", () => {
  it("grants with the entry's ID and TTL, taking no revision", async () => {
    const r = (await h.run("leaseGrant", { ID: 7, TTL: 30 })) as LeaseGrantResponse;
    expect(r).toMatchObject({ ID: 7, TTL: 30, error: "" });
    expect(h.sm.revision).toBe(1);
    expect(h.sm.leaseIds()).toEqual([7]);
    expect(h.sm.lease(7)).toMatchObject({ id: 7, ttl: 30, remainingTtl: 0 });
  });

  it("refuses what etcd refuses", async () => {
    await h.grant(7);
    const code = async (kind: "leaseGrant" | "leaseRevoke", req: object) =>
      ((await h.run(kind, req as never)) as KvError).message;
    expect(await code("leaseGrant", { ID: 7, TTL: 5 })).toBe("etcdserver: lease already exists");
    expect(await code("leaseGrant", { ID: 8, TTL: 9_000_000_001 })).toBe("etcdserver: too large lease TTL");
    expect(await code("leaseGrant", { ID: 0, TTL: 5 })).toBe("etcdserver: requested lease not found");
    expect(await code("leaseRevoke", { ID: 9 })).toBe("etcdserver: requested lease not found");
    const put = await h.run("put", putReq("k", "v", { lease: 9 }));
    expect(put).toBeInstanceOf(KvError);
    expect((put as KvError).message).toBe("etcdserver: requested lease not found");
    expect(h.sm.revision).toBe(1);
  });

  it("revoke deletes every attached key in one revision, in the same entry", async () => {
    await h.grant(1, 2);
    await h.put("a", "1", { lease: 1 }); // 2
    await h.put("c", "1", { lease: 1 }); // 3
    await h.put("b", "1", { lease: 2 }); // 4
    await h.put("d", "1"); // 5
    expect(keysOf(1)).toEqual(["a", "c"]);
    const batches: AppliedBatch[] = [];
    h.sm.onApplied((batch) => batches.push(batch));
    const r = await h.run("leaseRevoke", { ID: 1 });
    expect(r).toMatchObject({ header: { revision: 6 } });
    expect(await h.keys("\0", "\0")).toEqual(["b", "d"]);
    expect(h.sm.leaseIds()).toEqual([2]);
    expect(batches).toHaveLength(1);
    const events = batches[0]!.events.map((e) => [
      e.type,
      s(e.kv!.key),
      e.kv!.modRevision,
      s(e.prevKv!.value),
    ]);
    expect(events).toEqual([
      ["DELETE", "a", 6, "1"],
      ["DELETE", "c", 6, "1"],
    ]);
    expect(batches[0]!.leases.revoked).toEqual([1]);
    // A lease without keys: revoked without a revision.
    await h.run("leaseGrant", { ID: 3, TTL: 5 });
    await h.run("leaseRevoke", { ID: 3 });
    expect(h.sm.revision).toBe(6);
  });

  it("a key follows its latest put: re-attached, detached, deleted", async () => {
    await h.grant(1, 2);
    await h.put("k", "1", { lease: 1 });
    await h.put("k", "2", { lease: 2 });
    expect(keysOf(1)).toEqual([]);
    expect(keysOf(2)).toEqual(["k"]);
    await h.put("k", "3", { ignoreLease: true });
    expect(keysOf(2)).toEqual(["k"]);
    await h.put("k", "4");
    expect(keysOf(2)).toEqual([]);
    await h.put("k", "5", { lease: 1 });
    await h.del("k");
    expect(keysOf(1)).toEqual([]);
    await h.run("leaseRevoke", { ID: 1 });
    expect(h.sm.revision).toBe(7);
  });

  it("a txn may put with a lease and revoke sees it", async () => {
    await h.grant(4);
    await h.txn({
      compare: [],
      success: [{ request: "requestPut", requestPut: putReq("t", "1", { lease: 4 }) }],
      failure: [],
    });
    expect(keysOf(4)).toEqual(["t"]);
  });

  it("checkpoints record the remaining TTL, clamped to the TTL; 0 clears", async () => {
    await h.run("leaseGrant", { ID: 5, TTL: 600 });
    await h.run("leaseCheckpoint", {
      checkpoints: [
        { ID: 5, remaining_TTL: 120 },
        { ID: 99, remaining_TTL: 3 },
      ],
    });
    expect(h.sm.lease(5)?.remainingTtl).toBe(120);
    await h.run("leaseCheckpoint", { checkpoints: [{ ID: 5, remaining_TTL: 9999 }] });
    expect(h.sm.lease(5)?.remainingTtl).toBe(600);
    await h.run("leaseCheckpoint", { checkpoints: [{ ID: 5, remaining_TTL: 0 }] });
    expect(h.sm.lease(5)?.remainingTtl).toBe(0);
  });
});

describe("persistence", () => {
  it("leases, checkpoints and attachments survive a restart", async () => {
    await h.run("leaseGrant", { ID: 1, TTL: 600 });
    await h.run("leaseGrant", { ID: 2, TTL: 10 });
    await h.run("leaseCheckpoint", { checkpoints: [{ ID: 1, remaining_TTL: 300 }] });
    await h.put("a", "1", { lease: 1 });
    await h.put("b", "1", { lease: 2 });
    await h.put("c", "1", { lease: 1 });
    await h.reopen();
    expect(h.sm.leaseIds()).toEqual([1, 2]);
    expect(h.sm.lease(1)).toMatchObject({ ttl: 600, remainingTtl: 300 });
    expect(keysOf(1)).toEqual(["a", "c"]);
    expect(keysOf(2)).toEqual(["b"]);
    h.index = h.sm.appliedIndex;
    await h.run("leaseRevoke", { ID: 1 });
    expect(await h.keys("\0", "\0")).toEqual(["b"]);
  });

  it("a snapshot carries leases and attachments", async () => {
    await h.run("leaseGrant", { ID: 1, TTL: 60 });
    await h.put("a", "1", { lease: 1 });
    const other = await Harness.create();
    try {
      await other.run("leaseGrant", { ID: 9, TTL: 60 }); // replaced by the import
      await other.sm.importSnapshot(h.sm.exportSnapshot());
      expect(other.sm.leaseIds()).toEqual([1]);
      expect([...(other.sm.lease(1)?.keys ?? [])]).toEqual(["a"]);
      other.index = other.sm.appliedIndex;
      await other.run("leaseRevoke", { ID: 1 });
      expect(await other.keys("\0", "\0")).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
