// The real etcdctl against a 3-node raftkv (real processes, loopback): history reads and
// compaction, watch (--rev, --prefix, --prev-kv) on a follower, leases, and the tools built on
// leases + txn + watch: `etcdctl lock` and `etcdctl elect`. Skipped, saying so, only when etcdctl
// is not installed (CI installs it).

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Backgrounds, etcdctl, etcdctlVersion, type Run } from "./etcdctl-proc.js";
import { ProcCluster, type ProcNode, waitFor } from "./harness.js";

const version = etcdctlVersion();
if (version === undefined) {
  console.warn(
    "SKIPPED test/cluster/etcdctl-watch-lease.test.ts: etcdctl not found on PATH (apt-get install -y etcd-client)",
  );
}

let cluster: ProcCluster;
const background = new Backgrounds();

function all(): string[] {
  return cluster.endpoints();
}

async function ok(args: readonly string[], endpoints = all()): Promise<string> {
  const run = await etcdctl(endpoints, args);
  expect(run.stderr, `etcdctl ${args.join(" ")}`).toBe("");
  expect(run.code, `etcdctl ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

async function fails(args: readonly string[]): Promise<Run> {
  const run = await etcdctl(all(), args);
  expect(run.code, `etcdctl ${args.join(" ")} should fail: ${run.stdout}`).not.toBe(0);
  return run;
}

async function putRevision(key: string, value: string): Promise<number> {
  const out = JSON.parse(await ok(["put", key, value, "-w", "json"])) as { header: { revision: number } };
  return out.header.revision;
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await ok(["get", prefix, "--prefix", "--keys-only"])).split("\n").filter((l) => l.length > 0);
}

describe.skipIf(version === undefined)(
  `etcdctl (${version?.split("\n")[0] ?? "absent"}): history, watch, leases`,
  () => {
    let leader: ProcNode;
    let follower: ProcNode;

    beforeAll(async () => {
      cluster = await ProcCluster.start({ size: 3 });
      leader = await cluster.waitForLeader();
      follower = cluster.nodes.find((n) => n !== leader)!;
    });
    afterAll(async () => {
      await background.killAll();
      await cluster?.stop();
    });
    beforeEach((ctx) => {
      ctx.onTestFailed(() => console.log(cluster?.tails()));
    });
    afterEach(async () => {
      await background.killAll();
    });

    it("get --rev reads history; compaction makes older reads and watches fail with etcd's error", async () => {
      const r1 = await putRevision("hist/k", "v1");
      const r2 = await putRevision("hist/k", "v2");
      await putRevision("hist/k", "v3");
      expect(await ok(["get", "hist/k", "--rev", String(r1)])).toBe("hist/k\nv1\n");
      expect(await ok(["get", "hist/k", "--rev", String(r2)])).toBe("hist/k\nv2\n");
      expect(await ok(["get", "hist/k"])).toBe("hist/k\nv3\n");
      const future = await fails(["get", "hist/k", "--rev", String(r2 + 1000)]);
      expect(future.stderr).toContain("etcdserver: mvcc: required revision is a future revision");

      expect(await ok(["compaction", String(r2)])).toBe(`compacted revision ${r2}\n`);
      const compacted = await fails(["get", "hist/k", "--rev", String(r1)]);
      expect(compacted.stderr).toContain("etcdserver: mvcc: required revision has been compacted");
      expect(await ok(["get", "hist/k", "--rev", String(r2)])).toBe("hist/k\nv2\n");
      // Also on a follower, serializable (its own applied state).
      expect(
        await ok(["get", "hist/k", "--rev", String(r2), "--consistency=s"], [cluster.endpoint(follower)]),
      ).toBe("hist/k\nv2\n");
      const again = await fails(["compaction", String(r1)]);
      expect(again.stderr).toContain("etcdserver: mvcc: required revision has been compacted");

      const watch = background.start(all(), ["watch", "hist/k", "--rev", String(r1)]);
      await watch.exit();
      expect(watch.stdout + watch.stderr).toContain(
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)",
      );
      // --physical waits until the history is gone; compacting to the current revision works.
      const top = await putRevision("hist/other", "x");
      expect(await ok(["compaction", String(top), "--physical"])).toBe(`compacted revision ${top}\n`);
    });

    it("watch --prefix --rev --prev-kv on a follower: history in order, then live events", async () => {
      const ra = await putRevision("w/a", "1");
      await putRevision("w/b", "1");
      await putRevision("w/a", "2");
      await putRevision("x/other", "1");
      const watch = background.start(
        [cluster.endpoint(follower)],
        ["watch", "w/", "--prefix", "--rev", String(ra), "--prev-kv"],
      );
      const history = "PUT\nw/a\n1\nPUT\nw/b\n1\nPUT\nw/a\n1\nw/a\n2\n";
      await watch.output(new RegExp(`^${history}$`));
      await ok(["put", "w/b", "2"], [cluster.endpoint(leader)]);
      await ok(["del", "w/a"], [cluster.endpoint(leader)]);
      const live = "PUT\nw/b\n1\nw/b\n2\nDELETE\nw/a\n2\nw/a\n\n";
      await watch.output(new RegExp(`^${history}${live}$`));
    });

    it("a plain watch from now sees only new events, and stops cleanly", async () => {
      const watch = background.start(all(), ["watch", "now/k"]);
      // The watch is created asynchronously: write until the first event shows up.
      await waitFor("the watch to see a put", async () => {
        await ok(["put", "now/k", "ping"]);
        return /PUT\nnow\/k\nping\n/.test(watch.stdout);
      });
      await ok(["put", "now/k", "last"]);
      await watch.output(/PUT\nnow\/k\nlast\n$/);
      watch.signal("SIGINT");
      await watch.exit();
    });

    it("lease grant | put --lease | timetolive --keys | list | keep-alive | revoke", async () => {
      const granted = /^lease ([0-9a-f]+) granted with TTL\(60s\)\n$/.exec(
        await ok(["lease", "grant", "60"]),
      );
      expect(granted).not.toBeNull();
      const id = granted![1]!;
      expect(await ok(["put", "leased/a", "1", "--lease", id])).toBe("OK\n");
      expect(await ok(["put", "leased/b", "1", "--lease", id])).toBe("OK\n");
      const ttl = await ok(["lease", "timetolive", id, "--keys"]);
      expect(ttl).toMatch(
        new RegExp(
          `^lease ${id} granted with TTL\\(60s\\), remaining\\((5\\d|60)s\\), attached keys\\(\\[leased/a leased/b\\]\\)\n$`,
        ),
      );
      expect(await ok(["lease", "list"])).toContain(`\n${id}\n`);
      // On a follower: keep-alive and time-to-live are forwarded to the leader.
      expect(await ok(["lease", "keep-alive", "--once", id], [cluster.endpoint(follower)])).toBe(
        `lease ${id} keepalived with TTL(60)\n`,
      );
      expect(await ok(["lease", "timetolive", id], [cluster.endpoint(follower)])).toMatch(
        /remaining\((5\d|60)s\)/,
      );
      const keepAlive = background.start([cluster.endpoint(follower)], ["lease", "keep-alive", id]);
      await keepAlive.output(new RegExp(`lease ${id} keepalived with TTL\\(60\\)`));
      await keepAlive.kill();

      expect(await ok(["lease", "revoke", id])).toBe(`lease ${id} revoked\n`);
      expect(await ok(["get", "leased/", "--prefix"])).toBe("");
      expect(await ok(["lease", "timetolive", id])).toBe(`lease ${id} already expired\n`);
      expect(await ok(["lease", "list"])).not.toContain(id);
      const put = await fails(["put", "leased/c", "1", "--lease", id]);
      expect(put.stderr).toContain("etcdserver: requested lease not found");
      const revoke = await fails(["lease", "revoke", id]);
      expect(revoke.stderr).toContain("etcdserver: requested lease not found");
    });

    it("a lease without keep-alive expires and takes its keys; a kept-alive one stays", async () => {
      const short = /lease ([0-9a-f]+) granted/.exec(await ok(["lease", "grant", "3"]))![1]!;
      const kept = /lease ([0-9a-f]+) granted/.exec(await ok(["lease", "grant", "3"]))![1]!;
      await ok(["put", "exp/short", "1", "--lease", short]);
      await ok(["put", "exp/kept", "1", "--lease", kept]);
      const keepAlive = background.start([cluster.endpoint(follower)], ["lease", "keep-alive", kept]);
      await waitFor(
        "the unrefreshed lease to expire",
        async () => (await keysUnder("exp/")).length === 1,
        20_000,
      );
      expect(await keysUnder("exp/")).toEqual(["exp/kept"]);
      expect(await ok(["lease", "timetolive", short])).toBe(`lease ${short} already expired\n`);
      // Several renewals later (each a third of the TTL), the kept lease and its key are still there.
      const renewals = (): number => keepAlive.stdout.split("keepalived").length - 1;
      const seen = renewals();
      await waitFor("three more renewals", () => renewals() >= seen + 3, 20_000);
      expect(await keysUnder("exp/")).toEqual(["exp/kept"]);
      await keepAlive.kill();
    });

    it("etcdctl lock: a second locker waits until the first lets go", async () => {
      const a = background.start(all(), ["lock", "lk1"]);
      await a.output(/^lk1\/[0-9a-f]+\n/);
      const b = background.start(all(), ["lock", "lk1", "echo", "B-has-the-lock"]);
      // B has queued its own key behind A's: it is waiting for A's to go.
      await waitFor("B to queue", async () => (await keysUnder("lk1/")).length === 2);
      expect(b.stdout).toBe("");
      expect(b.running).toBe(true);
      a.signal("SIGINT"); // etcdctl unlocks on SIGINT
      await b.output(/B-has-the-lock\n/);
      expect(await b.exit()).toBe(0);
      await a.exit();
      await waitFor("the lock keys to go", async () => (await keysUnder("lk1/")).length === 0);
    });

    it("etcdctl lock: a holder killed outright loses the lock when its lease expires", async () => {
      const a = background.start(all(), ["lock", "--ttl", "3", "lk2"]);
      await a.output(/^lk2\/[0-9a-f]+\n/);
      const b = background.start(all(), ["lock", "lk2", "echo", "B-after-expiry"]);
      await waitFor("B to queue", async () => (await keysUnder("lk2/")).length === 2);
      await a.kill(); // SIGKILL: no unlock, no revoke; only the lease TTL frees the lock
      await b.output(/B-after-expiry\n/, 20_000);
      expect(await b.exit()).toBe(0);
    });

    it("etcdctl elect: one leader at a time, observers see each new leader", async () => {
      const a = background.start(all(), ["elect", "el", "p1"]);
      await a.output(/^el\/[0-9a-f]+\np1\n/);
      const observer = background.start(all(), ["elect", "-l", "el"]);
      await observer.output(/^el\/[0-9a-f]+\np1\n/);
      const b = background.start(all(), ["elect", "el", "p2"]);
      await waitFor("B to campaign", async () => (await keysUnder("el/")).length === 2);
      expect(b.stdout).toBe("");
      a.signal("SIGINT"); // resigns
      await b.output(/^el\/[0-9a-f]+\np2\n/);
      await observer.output(/p1\n[\s\S]*el\/[0-9a-f]+\np2\n/);
      await a.exit();
    });
  },
);
