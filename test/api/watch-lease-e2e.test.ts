// Watch and Lease end to end in one process: our clients → gRPC → the API → the watch hub and a
// LeaseManager over a real KvStateMachine (KvBackend: a one-member "cluster" that always leads).

import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiServices } from "../../src/api/proto.js";
import { LeaseClient, WatchStream } from "../../src/client/index.js";
import type { WatchResponse } from "../../src/kv/index.js";
import { WatchHub } from "../../src/kv/watch.js";
import { LeaseManager } from "../../src/node/leases.js";
import { silentLogger } from "../../src/node/logger.js";
import { type Served, serve } from "./helpers.js";
import { KvBackend } from "./kv-backend.js";

let backend: KvBackend;
let hub: WatchHub;
let leases: LeaseManager;
let served: Served;
const streams: WatchStream[] = [];

async function start(maxPendingBytes?: number): Promise<void> {
  backend = await KvBackend.open();
  hub = new WatchHub(backend.kv);
  leases = new LeaseManager({
    kv: backend.kv,
    propose: (kind, request) => backend.propose(kind, request),
    isLeader: () => true,
    commitIndex: () => backend.kv.appliedIndex,
    onLeadershipChange: () => () => undefined,
    leaderClientAddress: () => null,
    electionTimeoutMs: 1000,
    retryMs: 10,
    requestTimeoutMs: 2000,
    logger: silentLogger(),
  });
  leases.start();
  served = await serve(backend, {
    watchHub: hub,
    leases,
    ...(maxPendingBytes === undefined
      ? {}
      : { watchLimits: { maxWatchersPerStream: 100, maxPendingBytes, readyBytes: maxPendingBytes / 4 } }),
  });
}

afterEach(async () => {
  for (const s of streams.splice(0)) s.closeAll();
  await served.close();
  leases.stop();
  hub.close();
  await backend.kv.close();
  await backend.close();
});

function open(): { stream: WatchStream; responses: WatchResponse[] } {
  const stream = new WatchStream(served.endpoint);
  streams.push(stream);
  const responses: WatchResponse[] = [];
  stream.onResponse((r) => responses.push(r));
  return { stream, responses };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const text = (b: Buffer | undefined | null) => b?.toString() ?? "";
const eventsOf = (rs: WatchResponse[], id: number) =>
  rs
    .filter((r) => r.watchId === id)
    .flatMap((r) => r.events)
    .map(
      (e) =>
        `${e.type} ${text(e.kv?.key)}=${text(e.kv?.value)}@${e.kv?.modRevision}${e.prevKv ? ` prev=${text(e.prevKv.value)}` : ""}`,
    );

describe("Watch", () => {
  beforeEach(async () => start());

  it("many watchers on one stream: ids, events, prev_kv, filters, cancel", async () => {
    const { stream, responses } = open();
    const all = await stream.create("a/", { prefix: true });
    const one = await stream.create("a/1", { prevKv: true, watchId: 7 });
    const deletes = await stream.create("a/", { prefix: true, filters: ["NOPUT"] });
    expect([all, one, deletes]).toEqual([0, 7, 1]);
    await served.client.put("a/1", "x");
    await served.client.put("b", "y");
    await served.client.put("a/1", "z");
    await served.client.delete("a/", { prefix: true });
    await until(
      "the events",
      () => eventsOf(responses, 0).length === 3 && eventsOf(responses, 1).length === 1,
    );
    expect(eventsOf(responses, 0)).toEqual(["PUT a/1=x@2", "PUT a/1=z@4", "DELETE a/1=@5"]);
    expect(eventsOf(responses, 7)).toEqual(["PUT a/1=x@2", "PUT a/1=z@4 prev=x", "DELETE a/1=@5 prev=z"]);
    expect(eventsOf(responses, 1)).toEqual(["DELETE a/1=@5"]);
    const header = responses.find((r) => r.watchId === 0 && r.events.length > 0)?.header;
    expect(header).toMatchObject({ revision: 2, raftTerm: 2 });
    stream.cancel(7);
    await until("the cancel", () => responses.some((r) => r.watchId === 7 && r.canceled));
    await served.client.put("a/1", "again");
    await until("one more event", () => eventsOf(responses, 0).length === 4);
    expect(eventsOf(responses, 7)).toHaveLength(3);
  });

  it("refuses a duplicate watch_id and an empty range as etcd does", async () => {
    const { stream } = open();
    await stream.create("k", { watchId: 3 });
    await expect(stream.create("k", { watchId: 3 })).rejects.toThrow(
      "mvcc: duplicate watch ID provided on the WatchStream",
    );
    await expect(stream.create("b", { rangeEnd: "a" })).rejects.toThrow("mvcc: watcher range is empty");
  });

  it("replays from start_revision, then goes live; a compacted start is canceled with compact_revision", async () => {
    for (let i = 1; i <= 5; i++) await served.client.put("k", `v${i}`); // revisions 2..6
    const { stream, responses } = open();
    const id = await stream.create("k", { startRevision: 3, prevKv: true });
    await served.client.put("k", "v6"); // 7
    await until("the replay and the live event", () => eventsOf(responses, id).length === 5);
    expect(eventsOf(responses, id)).toEqual([
      "PUT k=v2@3 prev=v1",
      "PUT k=v3@4 prev=v2",
      "PUT k=v4@5 prev=v3",
      "PUT k=v5@6 prev=v4",
      "PUT k=v6@7 prev=v5",
    ]);
    await served.client.compact(5);
    const compacted = await stream.create("k", { startRevision: 2 });
    await until("the cancel", () => responses.some((r) => r.watchId === compacted && r.canceled));
    const cancel = responses.find((r) => r.watchId === compacted && r.canceled)!;
    expect(cancel).toMatchObject({
      compactRevision: 5,
      cancelReason: "etcdserver: mvcc: required revision has been compacted",
      events: [],
    });
  });

  it("answers a progress request with watch_id -1 at the current revision", async () => {
    const { stream, responses } = open();
    await stream.create("k");
    await served.client.put("other", "1");
    stream.requestProgress();
    await until("the progress response", () => responses.some((r) => r.watchId === -1));
    expect(responses.find((r) => r.watchId === -1)).toMatchObject({ header: { revision: 2 }, events: [] });
  });
});

describe("a slow watcher", () => {
  beforeEach(async () => start(256 * 1024));

  it("is canceled with a reason once its stream holds too much, and gets nothing more", async () => {
    // A raw stream whose client stops reading: HTTP/2 flow control then stops the server's writes.
    const client = new Client(served.endpoint, credentials.createInsecure());
    const method = apiServices().watch.Watch;
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new Metadata(),
    );
    const responses: WatchResponse[] = [];
    call.on("data", (r: WatchResponse) => responses.push(r));
    call.on("error", () => undefined);
    call.write({
      createRequest: {
        key: Buffer.from("big"),
        rangeEnd: Buffer.alloc(0),
        startRevision: 0,
        progressNotify: false,
        filters: [],
        prevKv: false,
        watchId: 0,
        fragment: false,
      },
    });
    await until("created", () => responses.length === 1);
    call.pause();
    const value = Buffer.alloc(64 * 1024, 120);
    for (let i = 0; i < 40; i++) await served.client.put("big", value);
    call.resume();
    await until("the cancel", () => responses.some((r) => r.canceled));
    const canceled = responses.find((r) => r.canceled)!;
    expect(canceled.watchId).toBe(0);
    expect(canceled.cancelReason).toContain("not reading its events fast enough");
    const delivered = responses.flatMap((r) => r.events).length;
    expect(delivered).toBeLessThan(40);
    await served.client.put("big", "after");
    await served.client.put("probe", "x");
    expect(responses.flatMap((r) => r.events).length).toBe(delivered);
    call.cancel();
    client.close();
  });
});

describe("Lease", () => {
  beforeEach(async () => start());

  it("grant, put with lease, time-to-live with keys, list, keep-alive, revoke", async () => {
    const lc = new LeaseClient(served.endpoint);
    try {
      const granted = await lc.grant(30);
      expect(granted.TTL).toBe(30);
      expect(granted.ID).toBeGreaterThan(0);
      const chosen = await lc.grant(1, 1234);
      expect(chosen).toMatchObject({ ID: 1234, TTL: 2 }); // raised to the minimum TTL
      await served.client.put("held", "1", { lease: granted.ID });
      const ttl = await lc.timeToLive(granted.ID, true);
      expect(ttl).toMatchObject({ ID: granted.ID, grantedTTL: 30 });
      expect(ttl.TTL).toBeGreaterThanOrEqual(29);
      expect(ttl.keys.map((k) => k.toString())).toEqual(["held"]);
      expect((await lc.leases()).leases.map((l) => l.ID).sort()).toEqual([1234, granted.ID].sort());
      expect((await lc.keepAlive(granted.ID)).TTL).toBe(30);
      expect((await lc.keepAlive(999)).TTL).toBe(0);
      await lc.revoke(granted.ID);
      expect((await served.client.get("held")).kvs).toEqual([]);
      expect((await lc.timeToLive(granted.ID)).TTL).toBe(-1);
      await expect(lc.revoke(granted.ID)).rejects.toThrow("etcdserver: requested lease not found");
      await expect(served.client.put("x", "1", { lease: granted.ID })).rejects.toThrow(
        "etcdserver: requested lease not found",
      );
      await expect(lc.grant(5, 1234)).rejects.toThrow("etcdserver: lease already exists");
    } finally {
      lc.close();
    }
  });
});
