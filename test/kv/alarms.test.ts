// The replicated alarm table and etcd's capped applier: ACTIVATE / DEACTIVATE / GET semantics,
// what a NOSPACE alarm refuses and what it lets through, and the table surviving a reopen and a
// snapshot.

import { afterEach, describe, expect, it } from "vitest";
import { KvError } from "../../src/kv/index.js";
import { deleteReq, Harness, opDelete, opPut, opTxn, putReq, txnReq } from "./helpers.js";

const NOSPACE = (memberID: number) => ({ memberID, alarm: "NOSPACE" as const });

describe("alarms", () => {
  const open: Harness[] = [];
  const harness = async (): Promise<Harness> => {
    const h = await Harness.create();
    open.push(h);
    return h;
  };
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it("ACTIVATE answers what it raised, DEACTIVATE what it cleared, GET what is raised", async () => {
    const h = await harness();
    expect(await h.run("alarm", { action: "ACTIVATE", memberID: 5, alarm: "NOSPACE" })).toMatchObject({
      alarms: [NOSPACE(5)],
    });
    expect(await h.run("alarm", { action: "ACTIVATE", memberID: 5, alarm: "NOSPACE" })).toMatchObject({
      alarms: [],
    });
    expect(await h.run("alarm", { action: "ACTIVATE", memberID: 5, alarm: "NONE" })).toMatchObject({
      alarms: [],
    });
    await h.run("alarm", { action: "ACTIVATE", memberID: 2, alarm: "CORRUPT" });
    expect(h.sm.alarms("NONE")).toEqual([{ memberID: 2, alarm: "CORRUPT" }, NOSPACE(5)]);
    expect(h.sm.alarms("NOSPACE")).toEqual([NOSPACE(5)]);
    expect(await h.run("alarm", { action: "DEACTIVATE", memberID: 5, alarm: "CORRUPT" })).toMatchObject({
      alarms: [],
    });
    expect(await h.run("alarm", { action: "DEACTIVATE", memberID: 5, alarm: "NOSPACE" })).toMatchObject({
      alarms: [NOSPACE(5)],
    });
    expect(h.sm.alarms("NOSPACE")).toEqual([]);
  });

  it("NOSPACE refuses puts, txns with a put and lease grants; lets reads, deletes and compaction through", async () => {
    const h = await harness();
    await h.put("a", "1");
    await h.put("b", "2");
    await h.run("alarm", { action: "ACTIVATE", memberID: 0, alarm: "NOSPACE" });
    const revision = h.sm.revision;
    const refused = async (kind: Parameters<Harness["run"]>[0], request: object) => {
      const r = await h.run(kind, request as never);
      expect(r).toBeInstanceOf(KvError);
      expect((r as KvError).message).toBe("etcdserver: mvcc: database space exceeded");
      expect((r as KvError).grpcCode).toBe(8);
    };
    await refused("put", putReq("c", "3"));
    await refused("txn", txnReq([], [opDelete(deleteReq("a"))], [opPut(putReq("c", "3"))]));
    await refused("txn", txnReq([], [opTxn(txnReq([], [opPut(putReq("c", "3"))]))]));
    await refused("leaseGrant", { ID: 9, TTL: 60 });
    expect(h.sm.revision).toBe(revision);
    expect(await h.keys("a", "z")).toEqual(["a", "b"]);
    expect((await h.del("a")).deleted).toBe(1);
    expect((await h.txn(txnReq([], [opDelete(deleteReq("b"))]))).succeeded).toBe(true);
    expect(await h.run("compaction", { revision: h.sm.revision, physical: false })).not.toBeInstanceOf(
      KvError,
    );
    await h.run("alarm", { action: "DEACTIVATE", memberID: 0, alarm: "NOSPACE" });
    await h.put("c", "3");
    expect(await h.keys("a", "z")).toEqual(["c"]);
  });

  it("the table is stored: it survives a reopen and travels in a snapshot", async () => {
    const h = await harness();
    await h.run("alarm", { action: "ACTIVATE", memberID: 7, alarm: "NOSPACE" });
    await h.reopen();
    expect(h.sm.alarms()).toEqual([NOSPACE(7)]);
    expect(await h.run("put", putReq("x", "1"))).toBeInstanceOf(KvError);
    const other = await harness();
    await other.sm.importSnapshot(h.sm.exportSnapshot());
    expect(other.sm.alarms()).toEqual([NOSPACE(7)]);
  });
});
