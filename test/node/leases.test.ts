// Lease expiry rules: the pure leader clock, and the LeaseManager over a real state machine with
// an injected clock (the expiry check runs on a short real timer; time itself is the test's).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KvError } from "../../src/kv/index.js";
import { LeaseClock } from "../../src/node/lease-clock.js";
import { LeaseManager, type LeaseManagerOptions, type LeaseProposalKind } from "../../src/node/leases.js";
import { silentLogger } from "../../src/node/logger.js";
import { Harness } from "../kv/helpers.js";

describe("LeaseClock", () => {
  const leases = [
    { id: 1, ttl: 10, remainingTtl: 0 },
    { id: 2, ttl: 600, remainingTtl: 30 },
  ];

  it("promote: the TTL (or the checkpointed remaining TTL) plus the extension", () => {
    const c = new LeaseClock();
    c.promote(1000, leases, 500);
    expect(c.remainingMs(1, 1000)).toBe(10_500);
    expect(c.remainingMs(2, 1000)).toBe(30_500);
    expect(c.expired(11_499, 10)).toEqual([]);
    expect(c.expired(11_500, 10)).toEqual([1]);
    expect(c.expired(31_500, 10)).toEqual([1, 2]);
    expect(c.expired(31_500, 1)).toEqual([1]);
    expect(c.expired(31_500, 10, new Set([1]))).toEqual([2]);
  });

  it("renew restarts from now; an expired lease cannot be renewed", () => {
    const c = new LeaseClock();
    c.promote(0, leases, 0);
    expect(c.renew(1, 10, 9_000)).toBe(true);
    expect(c.remainingMs(1, 9_000)).toBe(10_000);
    expect(c.renew(1, 10, 19_000)).toBe(false);
    expect(c.renew(3, 5, 0)).toBe(true); // unknown to the clock: starts now
    expect(c.remainingMs(3, 0)).toBe(5_000);
  });

  it("a follower (demoted) knows and renews nothing", () => {
    const c = new LeaseClock();
    c.granted(1, 10, 0);
    expect(c.size).toBe(0);
    c.promote(0, leases, 0);
    c.demote();
    expect(c.renew(1, 10, 0)).toBe(false);
    expect(c.expired(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(c.active).toBe(false);
  });
});

describe("LeaseManager", () => {
  let h: Harness;
  let leader: boolean;
  let now: number;
  let proposals: { kind: LeaseProposalKind; request: object }[];
  let listeners: Set<(leader: boolean) => void>;
  let manager: LeaseManager;
  let applying: Promise<unknown> = Promise.resolve();

  function start(extra: Partial<LeaseManagerOptions> = {}): LeaseManager {
    manager = new LeaseManager({
      kv: h.sm,
      // One entry at a time, as Raft applies them (timers propose concurrently with the test).
      propose: (kind, request) => {
        proposals.push({ kind, request });
        const applied = applying.then(() => h.run(kind, request as never));
        applying = applied.catch(() => undefined);
        return applied.then((r) => {
          if (r instanceof KvError) throw r;
          return r ?? {};
        });
      },
      isLeader: () => leader,
      commitIndex: () => h.sm.appliedIndex,
      onLeadershipChange: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      leaderClientAddress: () => null,
      electionTimeoutMs: 1000,
      retryMs: 5,
      requestTimeoutMs: 100,
      logger: silentLogger(),
      now: () => now,
      expiryCheckMs: 2,
      randomId: () => 42,
      ...extra,
    });
    manager.start();
    return manager;
  }

  function setLeader(value: boolean): void {
    leader = value;
    for (const fn of listeners) fn(value);
  }

  async function until(what: string, cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Lets the expiry timer run a few times at the current (frozen) time. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 3));
  }

  beforeEach(async () => {
    h = await Harness.create();
    leader = true;
    now = 1_000_000;
    proposals = [];
    listeners = new Set();
  });
  afterEach(async () => {
    manager.stop();
    await h.close();
  });

  it("grants with a chosen ID and at least the minimum TTL (1.5 election timeouts)", async () => {
    start();
    expect(manager.minTtlSeconds).toBe(2);
    expect(await manager.grant(1, 0)).toMatchObject({ ID: 42, TTL: 2 });
    expect(await manager.grant(30, 7)).toMatchObject({ ID: 7, TTL: 30 });
    await expect(manager.grant(9_000_000_001, 0)).rejects.toThrow("etcdserver: too large lease TTL");
    expect(manager.leases()).toEqual([7, 42]);
  });

  it("expires a lease not kept alive: the leader proposes the revoke, the keys go with it", async () => {
    start();
    await manager.grant(10, 5);
    await h.put("k", "v", { lease: 5 });
    now += 9_000;
    expect(await manager.keepAlive(5, false)).toBe(10);
    now += 9_999;
    await settle();
    expect(h.sm.lease(5)).toBeDefined();
    expect(await manager.timeToLive(5, true, false)).toEqual({
      TTL: 0,
      grantedTTL: 10,
      keys: [Buffer.from("k")],
    });
    now += 1;
    await until("the revoke", () => h.sm.lease(5) === undefined);
    expect(proposals.filter((p) => p.kind === "leaseRevoke")).toEqual([
      { kind: "leaseRevoke", request: { ID: 5 } },
    ]);
    expect(await h.keys("k")).toEqual([]);
    expect(await manager.keepAlive(5, false)).toBe(0);
    expect(await manager.timeToLive(5, false, false)).toBeNull();
  });

  it("an expired lease is not renewed even before its revoke applies", async () => {
    start({ expiryCheckMs: 60_000 });
    await manager.grant(3, 5);
    now += 3_000;
    expect(await manager.keepAlive(5, false)).toBe(0);
  });

  it("a new leader extends every lease by an election timeout; a follower expires nothing", async () => {
    start();
    await manager.grant(10, 5);
    setLeader(false);
    now += 60_000;
    await settle();
    expect(h.sm.lease(5)).toBeDefined();
    expect(proposals.some((p) => p.kind === "leaseRevoke")).toBe(false);
    setLeader(true); // promote at `now`: 10 s + 1 s election timeout
    now += 10_999;
    await settle();
    expect(h.sm.lease(5)).toBeDefined();
    expect((await manager.timeToLive(5, false, false))?.TTL).toBe(0);
    now += 1;
    await until("the revoke", () => h.sm.lease(5) === undefined);
  });

  it("a follower with no leader to forward to fails with etcd's no-leader error", async () => {
    leader = false;
    start();
    await expect(manager.keepAlive(5, false)).rejects.toThrow("etcdserver: no leader");
    // A call forwarded here by a member that thought this one leads is refused at once.
    await expect(manager.timeToLive(5, false, true)).rejects.toThrow("etcdserver: leader changed");
  });

  it("checkpoints long leases, and a renewal clears the checkpoint", async () => {
    start({ checkpointIntervalMs: 20 });
    await manager.grant(600, 5);
    now += 100_000;
    await until("a checkpoint", () => (h.sm.lease(5)?.remainingTtl ?? 0) > 0);
    expect(h.sm.lease(5)?.remainingTtl).toBe(500);
    expect(await manager.keepAlive(5, false)).toBe(600);
    await until("the checkpoint cleared", () => h.sm.lease(5)?.remainingTtl === 0);
    // A new leader starts the lease from the checkpoint, not its whole TTL.
    manager.stop();
    await applying;
    await h.run("leaseCheckpoint", { checkpoints: [{ ID: 5, remaining_TTL: 100 }] });
    start({ checkpointIntervalMs: 0 });
    expect(manager.clock.remainingMs(5, now)).toBe(101_000);
  });
});
