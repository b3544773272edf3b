// Watches and leases through failures, on a 3-node raftkv of real processes:
// - a watch that reconnects after its member (the leader) is killed, from its last revision + 1,
//   misses no event and sees none twice;
// - across a leader kill, a lease kept alive (through a follower, by the real etcdctl) stays and
//   one that is not expires and takes its key;
// - a member that returns after many writes catches up by snapshot, and the snapshot carries the
//   history (reads at past revisions, watch replay) and the leases with their keys;
// - history and leases survive restarting every member.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EtcdClient, LeaseClient, WatchStream } from "../../src/client/index.js";
import type { WatchResponse } from "../../src/kv/index.js";
import { Backgrounds, etcdctlVersion } from "./etcdctl-proc.js";
import { FAST_RECONNECT, ProcCluster, type ProcNode, waitFor } from "./harness.js";

const version = etcdctlVersion();
if (version === undefined) {
  console.warn("SKIPPED parts of test/cluster/watch-lease-failover.test.ts: etcdctl not found on PATH");
}

let cluster: ProcCluster;
const background = new Backgrounds();
const closers: (() => void)[] = [];

beforeAll(async () => {
  // Small snapshot thresholds, so a member that was down catches up by snapshot.
  cluster = await ProcCluster.start({
    size: 3,
    extraArgs: ["--snapshot-count", "300", "--snapshot-catchup-entries", "50"],
  });
});
afterAll(async () => {
  await background.killAll();
  for (const close of closers.splice(0)) close();
  await cluster?.stop();
});
beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});
afterEach(async () => {
  await background.killAll();
  // Every member runs again before the next test.
  for (const n of cluster.nodes) if (n.proc === null) cluster.spawn(n);
  await cluster.waitForLeader();
});

interface Seen {
  rev: number;
  key: string;
  value: string;
  type: string;
}

function eventsOf(r: WatchResponse): Seen[] {
  return r.events.map((e) => ({
    rev: e.kv!.modRevision,
    key: e.kv!.key.toString(),
    value: e.kv!.value.toString(),
    type: e.type,
  }));
}

/** A watcher that reconnects to another live member from its last revision + 1, as clientv3 does. */
class ReconnectingWatch {
  readonly seen: Seen[] = [];
  reconnects = 0;
  #stream: WatchStream | null = null;
  #closed = false;
  #reconnecting = false;
  readonly #prefix: string;
  readonly #from: number;

  constructor(prefix: string, from: number) {
    this.#prefix = prefix;
    this.#from = from;
  }

  /** Opens a stream on `node` from the last revision seen + 1; false if that failed. */
  async connect(node: ProcNode): Promise<boolean> {
    const next = (this.seen.at(-1)?.rev ?? this.#from - 1) + 1;
    const stream = new WatchStream(cluster.endpoint(node), { channelOptions: FAST_RECONNECT });
    this.#stream = stream;
    stream.onResponse((r) => {
      if (this.#stream !== stream) return;
      if (r.canceled) throw new Error(`watch canceled: ${r.cancelReason}`);
      this.seen.push(...eventsOf(r));
    });
    stream.onError(() => {
      if (this.#closed || this.#reconnecting || this.#stream !== stream) return;
      this.reconnects++;
      void this.#reconnect();
    });
    try {
      await stream.create(this.#prefix, { prefix: true, startRevision: next });
      return true;
    } catch {
      this.#stream = null;
      stream.closeAll();
      return false;
    }
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    const old = this.#stream;
    this.#stream = null;
    old?.closeAll();
    try {
      await waitFor(
        "a live member to watch on",
        async () => {
          for (const n of cluster.nodes.filter((x) => x.proc !== null)) {
            if (this.#closed) return true;
            if (await this.connect(n)) return true;
          }
          return false;
        },
        30_000,
        100,
      );
    } finally {
      this.#reconnecting = false;
    }
  }

  close(): void {
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = null;
    stream?.closeAll();
  }
}

describe("watch across a leader failover", () => {
  it("reconnecting from the last revision + 1 misses no event and sees none twice", async () => {
    const leader = await cluster.waitForLeader();
    const writer = cluster.client(cluster.nodes, 5000);
    const from = Number((await writer.put("fo/start", "0")).header?.revision) + 1;
    const watch = new ReconnectingWatch("fo/", from);
    closers.push(() => watch.close());
    await watch.connect(leader); // the member about to die

    const acknowledged: Seen[] = [];
    let stop = false;
    let failures = 0;
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `fo/${String(i).padStart(5, "0")}`;
        try {
          const r = await writer.put(key, `v${i}`);
          acknowledged.push({ rev: Number(r.header?.revision), key, value: `v${i}`, type: "PUT" });
        } catch {
          failures++; // outcome unknown (the leader died with it in flight): may or may not be there
        }
      }
    })();
    await waitFor("50 events before the kill", () => watch.seen.length >= 50, 20_000);
    await cluster.kill(leader, "SIGKILL");
    await cluster.waitForLeader();
    const atKill = acknowledged.length;
    await waitFor(
      "100 acknowledged writes after the failover",
      () => acknowledged.length >= atKill + 100,
      30_000,
    );
    stop = true;
    await writing;
    const last = acknowledged.at(-1)!.rev;
    await waitFor("the watcher to reach the last write", () => (watch.seen.at(-1)?.rev ?? 0) >= last, 20_000);
    watch.close();

    expect(watch.reconnects).toBeGreaterThanOrEqual(1);
    // In order, each revision once.
    const revisions = watch.seen.map((e) => e.rev);
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);
    // Every acknowledged write, with its value.
    const byRev = new Map(watch.seen.map((e) => [e.rev, e]));
    for (const w of acknowledged) expect(byRev.get(w.rev), `revision ${w.rev}`).toEqual(w);
    // Exactly the history: a fresh watch replaying the same revisions from a surviving member.
    const survivor = cluster.nodes.find((n) => n.proc !== null)!;
    const replay = new WatchStream(cluster.endpoint(survivor));
    closers.push(() => replay.closeAll());
    const replayed: Seen[] = [];
    replay.onResponse((r) => replayed.push(...eventsOf(r)));
    await replay.create("fo/", { prefix: true, startRevision: from });
    await waitFor("the replay", () => (replayed.at(-1)?.rev ?? 0) >= last);
    expect(watch.seen.filter((e) => e.rev <= last)).toEqual(replayed.filter((e) => e.rev <= last));
    console.log(
      `watch failover: ${acknowledged.length} acknowledged writes, ${failures} with unknown outcome, ` +
        `${watch.seen.length} events, ${watch.reconnects} reconnect(s)`,
    );
  });
});

describe.skipIf(version === undefined)("leases across a leader failover", () => {
  it("a kept-alive lease stays and an abandoned one expires; the returning member agrees", async () => {
    const leader = await cluster.waitForLeader();
    const followers = cluster.nodes.filter((n) => n !== leader);
    const followerEndpoints = followers.map((n) => cluster.endpoint(n));
    const leases = new LeaseClient(followerEndpoints[0]!, { timeoutMs: 8000 });
    closers.push(() => leases.close());
    const kv = cluster.client(followers, 8000);
    const abandoned = (await leases.grant(4)).ID;
    const kept = (await leases.grant(4)).ID;
    await kv.put("fl/abandoned", "1", { lease: abandoned });
    await kv.put("fl/kept", "1", { lease: kept });
    const keepAlive = background.start(followerEndpoints, ["lease", "keep-alive", kept.toString(16)]);
    await keepAlive.output(/keepalived with TTL\(4\)/);

    // The kept key must be there at every look, from now to the end.
    let keptMissing = false;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const got = await kv.get("fl/kept", { serializable: true }).catch(() => null);
        if (got !== null && got.kvs.length === 0) keptMissing = true;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await cluster.kill(leader, "SIGKILL");
    const newLeader = await cluster.waitForLeader();
    expect(newLeader).not.toBe(leader);
    await waitFor(
      "the abandoned lease to expire",
      async () => (await kv.get("fl/abandoned")).kvs.length === 0,
      30_000,
    );
    const renewals = (): number => keepAlive.stdout.split("keepalived").length - 1;
    const seen = renewals();
    // A few renewals (every TTL/3) after the expiry: longer than the TTL since the failover.
    await waitFor("more renewals", () => renewals() >= seen + 4, 30_000);
    watching = false;
    await watcher;
    expect(keptMissing).toBe(false);
    expect((await kv.get("fl/kept")).kvs).toHaveLength(1);
    expect((await leases.timeToLive(abandoned)).TTL).toBe(-1);
    const ttl = await leases.timeToLive(kept, true);
    expect(ttl.TTL).toBeGreaterThan(0);
    expect(ttl.keys.map((k) => k.toString())).toEqual(["fl/kept"]);

    // The old leader returns and agrees: same leases, the abandoned key gone.
    cluster.spawn(leader);
    const back = new EtcdClient([cluster.endpoint(leader)], {
      timeoutMs: 3000,
      channelOptions: FAST_RECONNECT,
    });
    const backLeases = new LeaseClient(cluster.endpoint(leader), { timeoutMs: 3000 });
    closers.push(() => {
      back.close();
      backLeases.close();
    });
    await waitFor(
      "the old leader to catch up",
      async () => {
        const got = await back.get("fl/", { prefix: true, serializable: true });
        return got.kvs.length === 1 && got.kvs[0]!.key.toString() === "fl/kept";
      },
      20_000,
    );
    expect((await backLeases.leases()).leases.map((l) => l.ID)).toContain(kept);
    expect((await backLeases.leases()).leases.map((l) => l.ID)).not.toContain(abandoned);
    await keepAlive.kill();
    await leases.revoke(kept);
  });
});

describe("snapshots and restarts", () => {
  it("a member that catches up by snapshot gets the history and the leases", async () => {
    const leader = await cluster.waitForLeader();
    const behind = cluster.nodes.find((n) => n !== leader)!;
    const up = cluster.nodes.filter((n) => n !== behind);
    await cluster.kill(behind, "SIGKILL");
    const client = cluster.client(up, 8000);
    const leases = new LeaseClient(cluster.endpoint(leader), { timeoutMs: 8000 });
    closers.push(() => leases.close());
    const lease = (await leases.grant(600)).ID;
    await client.put("sn/leased", "1", { lease });
    const revisions: number[] = [];
    for (let i = 1; i <= 5; i++) revisions.push(Number((await client.put("sn/k", `v${i}`)).header?.revision));
    // Enough entries for the log to be compacted past where the member stopped.
    for (let i = 0; i < 700; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => client.put(`sn/fill/${i + j}`, "x")));
    }
    await client.compact(revisions[1]!); // history from v2 on stays readable

    cluster.spawn(behind);
    await cluster.waitForOutput(behind, /"msg":"installed snapshot"/, 30_000);
    const onBehind = new EtcdClient([cluster.endpoint(behind)], {
      timeoutMs: 3000,
      channelOptions: FAST_RECONNECT,
    });
    const leasesBehind = new LeaseClient(cluster.endpoint(behind), { timeoutMs: 8000 });
    closers.push(() => {
      onBehind.close();
      leasesBehind.close();
    });
    await waitFor(
      "the member to apply the writes",
      async () => {
        const got = await onBehind.get("sn/fill/", { prefix: true, countOnly: true, serializable: true });
        return got.count === 700;
      },
      20_000,
    );
    // History through the snapshot: a read at a past revision, and a watch replay.
    const past = await onBehind.get("sn/k", { revision: revisions[2]!, serializable: true });
    expect(past.kvs[0]?.value.toString()).toBe("v3");
    await expect(onBehind.get("sn/k", { revision: revisions[0]!, serializable: true })).rejects.toThrow(
      "required revision has been compacted",
    );
    const replay = new WatchStream(cluster.endpoint(behind));
    closers.push(() => replay.closeAll());
    const replayed: Seen[] = [];
    replay.onResponse((r) => replayed.push(...eventsOf(r)));
    await replay.create("sn/k", { startRevision: revisions[1]! });
    await waitFor("the replay", () => replayed.length === 4);
    expect(replayed.map((e) => e.value)).toEqual(["v2", "v3", "v4", "v5"]);
    // The lease and its key, through the snapshot: revoking through this member deletes the key.
    expect((await leasesBehind.leases()).leases.map((l) => l.ID)).toContain(lease);
    await leasesBehind.revoke(lease);
    expect((await onBehind.get("sn/leased")).kvs).toEqual([]);
  });

  it("history and leases survive restarting every member", async () => {
    const client = cluster.client(cluster.nodes, 8000);
    const leases = new LeaseClient(cluster.endpoint(cluster.nodes[0]!), { timeoutMs: 8000 });
    const lease = (await leases.grant(600)).ID;
    leases.close();
    await client.put("rs/leased", "1", { lease });
    const r1 = Number((await client.put("rs/k", "one")).header?.revision);
    await client.put("rs/k", "two");
    for (const n of cluster.nodes) await cluster.kill(n, "SIGTERM");
    for (const n of cluster.nodes) cluster.spawn(n);
    await cluster.waitForLeader();
    const after = cluster.client(cluster.nodes, 8000);
    await waitFor("reads after the restart", async () => (await after.get("rs/k")).kvs.length === 1, 20_000);
    expect((await after.get("rs/k", { revision: r1 })).kvs[0]?.value.toString()).toBe("one");
    const again = new LeaseClient(cluster.endpoint(cluster.nodes[1]!), { timeoutMs: 8000 });
    closers.push(() => again.close());
    const ttl = await again.timeToLive(lease, true);
    expect(ttl.grantedTTL).toBe(600);
    expect(ttl.TTL).toBeGreaterThan(590);
    expect(ttl.keys.map((k) => k.toString())).toEqual(["rs/leased"]);
    await again.revoke(lease);
    expect((await after.get("rs/leased")).kvs).toEqual([]);
  });
});
