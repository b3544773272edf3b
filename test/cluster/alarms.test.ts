// Alarms are replicated state (Maintenance.Alarm through Raft), as in etcd: raised on one member,
// listed and enforced by every member, cleared by `etcdctl alarm disarm`. Real processes, the
// real etcdctl.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EtcdClient } from "../../src/client/index.js";
import { etcdctl, etcdctlVersion } from "./etcdctl-proc.js";
import { ProcCluster, waitFor } from "./harness.js";

const version = etcdctlVersion();

describe.skipIf(version === undefined)("alarms (etcdctl; skipped without etcdctl)", () => {
  let cluster: ProcCluster;
  let client: EtcdClient;

  beforeAll(async () => {
    cluster = await ProcCluster.start({ size: 3 });
    client = cluster.client();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("an alarm raised on one member caps writes on every member until etcdctl disarms it", async () => {
    const all = cluster.endpoints();
    const [first, second] = cluster.nodes;
    expect((await etcdctl(all, ["alarm", "list"])).stdout.trim()).toBe("");
    await client.put("before", "1");

    // python-etcd3's create_alarm(): ACTIVATE NOSPACE for member 0, answered with the alarm.
    const raised = await client.alarm("ACTIVATE", 0, "NOSPACE");
    expect(raised.alarms).toEqual([{ memberID: 0, alarm: "NOSPACE" }]);
    // Raised again: nothing new.
    expect((await client.alarm("ACTIVATE", 0, "NOSPACE")).alarms).toEqual([]);

    // Every member lists it (a linearizable GET on each).
    for (const n of cluster.nodes) {
      const listed = await etcdctl([cluster.endpoint(n)], ["alarm", "list"]);
      expect(listed.code, listed.stderr).toBe(0);
      // etcdctl prints the alarm in protobuf's text form: member 0 is left out.
      expect(listed.stdout.trim()).toBe("alarm:NOSPACE");
    }
    const status = await etcdctl([cluster.endpoint(first!)], ["endpoint", "status", "-w", "json"]);
    expect(status.stdout).toContain("alarm:NOSPACE");

    // Writes that add data fail on every member, with etcd's error; reads and deletes work.
    for (const n of [first!, second!]) {
      const put = await etcdctl([cluster.endpoint(n)], ["put", "k", "v"]);
      expect(put.code).not.toBe(0);
      expect(put.stderr).toContain("etcdserver: mvcc: database space exceeded");
      const txn = await etcdctl([cluster.endpoint(n)], ["txn"], 'value("before") = "1"\n\nput k v\n\n\n');
      expect(txn.stderr).toContain("etcdserver: mvcc: database space exceeded");
    }
    const lease = await etcdctl(all, ["lease", "grant", "30"]);
    expect(lease.stderr).toContain("etcdserver: mvcc: database space exceeded");
    expect((await etcdctl(all, ["get", "before", "--print-value-only"])).stdout.trim()).toBe("1");
    const del = await etcdctl(all, ["del", "before"]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout.trim()).toBe("1");
    const revision = Number((await client.status()).header?.revision);
    const compact = await etcdctl(all, ["compact", String(revision), "--physical"]);
    expect(compact.code, compact.stderr).toBe(0);

    // A member's own alarm too; disarm clears both (etcdctl deactivates each listed alarm).
    const id = await cluster.memberId(second!);
    expect((await client.alarm("ACTIVATE", id, "NOSPACE")).alarms).toEqual([
      { memberID: id, alarm: "NOSPACE" },
    ]);
    const disarm = await etcdctl(all, ["alarm", "disarm"]);
    expect(disarm.code, disarm.stderr).toBe(0);
    expect(disarm.stdout).toMatch(/^alarm:NOSPACE/m);
    expect(disarm.stdout).toContain(`memberID:${id} alarm:NOSPACE`);
    for (const n of cluster.nodes) {
      expect((await etcdctl([cluster.endpoint(n)], ["alarm", "list"])).stdout.trim()).toBe("");
    }
    const put = await etcdctl([cluster.endpoint(second!)], ["put", "k", "v"]);
    expect(put.code, put.stderr).toBe(0);
  }, 90_000);

  it("the alarm survives restarts of every member (it is in the store)", async () => {
    await client.alarm("ACTIVATE", 7, "NOSPACE");
    for (const n of cluster.nodes) await cluster.kill(n);
    for (const n of cluster.nodes) cluster.spawn(n);
    await cluster.waitForLeader();
    const listed = await waitFor(
      "the alarm after the restart",
      async () => {
        const r = await etcdctl(cluster.endpoints(), ["alarm", "list"]);
        return r.code === 0 ? r : null;
      },
      20_000,
      200,
    );
    expect(listed.stdout).toContain("memberID:7 alarm:NOSPACE");
    expect((await etcdctl(cluster.endpoints(), ["put", "k", "v"])).stderr).toContain(
      "database space exceeded",
    );
    expect((await client.alarm("DEACTIVATE", 7, "NOSPACE")).alarms).toEqual([
      { memberID: 7, alarm: "NOSPACE" },
    ]);
    await waitFor(
      "a put after the disarm",
      async () => (await etcdctl(cluster.endpoints(), ["put", "k", "v2"])).code === 0,
    );
  }, 90_000);
});
