// The Auth service and its enforcement over the client API, in process, over a real
// KvStateMachine: what etcd checks beyond plain reads and writes — Watch ranges, leases, nested
// txns, admin-only Maintenance and Cluster calls, self-service UserGet/RoleGet — and that no
// password reaches a proposal.

import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimpleTokens } from "../../src/api/auth-tokens.js";
import type { ProposalKind } from "../../src/api/backend.js";
import { apiServices } from "../../src/api/proto.js";
import { WatchHub } from "../../src/kv/watch.js";
import { LeaseManager } from "../../src/node/leases.js";
import { silentLogger } from "../../src/node/logger.js";
import { type Served, serve } from "./helpers.js";
import { KvBackend } from "./kv-backend.js";

type Callback = (err: ServiceError | null, res: unknown) => void;
type Unary = (req: object, md: Metadata, cb: Callback) => void;

let backend: KvBackend;
let served: Served;
let tokens: SimpleTokens;
let hub: WatchHub;
let leases: LeaseManager;
const proposed: string[] = [];
const clients: { close(): void }[] = [];

function client(service: keyof ReturnType<typeof apiServices>): Record<string, Unary> & { close(): void } {
  const Ctor = makeGenericClientConstructor(apiServices()[service], service);
  const c = new Ctor(served.endpoint, credentials.createInsecure());
  clients.push(c);
  return c as unknown as Record<string, Unary> & { close(): void };
}

// biome-ignore lint/suspicious/noExplicitAny: decoded responses of many message types
type Decoded = any;

function call(c: Record<string, Unary>, method: string, req: object, token?: string): Promise<Decoded> {
  const md = new Metadata();
  if (token !== undefined) md.set("token", token);
  return new Promise((resolve, reject) => {
    c[method]!.call(c, req, md, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function denied(p: Promise<unknown>, details = "etcdserver: permission denied"): Promise<void> {
  const err = (await p.then(
    () => expect.fail("expected a refusal"),
    (e: unknown) => e,
  )) as ServiceError;
  expect(err.details).toBe(details);
}

const b = (s: string): Buffer => Buffer.from(s);
let auth: ReturnType<typeof client>;
let kv: ReturnType<typeof client>;
let lease: ReturnType<typeof client>;
let maintenance: ReturnType<typeof client>;
let cluster: ReturnType<typeof client>;
let rootToken: string;
let aliceToken: string;

beforeAll(async () => {
  backend = await KvBackend.open();
  const propose = backend.propose.bind(backend);
  backend.propose = (kind: ProposalKind, req: object, encoded?: Buffer) => {
    proposed.push(JSON.stringify(req));
    return propose(kind, req, encoded);
  };
  tokens = new SimpleTokens(60_000);
  backend.kv.onApplied((batch) => tokens.applied(batch.auth));
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
    auth: {
      table: backend.kv.auth,
      tokens,
      leaseKeys: (id) => [...(backend.kv.lease(id)?.keys ?? [])].map((k) => Buffer.from(k, "latin1")),
    },
  });
  auth = client("auth");
  kv = client("kv");
  lease = client("lease");
  maintenance = client("maintenance");
  cluster = client("cluster");

  await denied(
    call(auth, "Authenticate", { name: "root", password: "x" }),
    "etcdserver: authentication is not enabled",
  );
  await call(auth, "UserAdd", { name: "root", password: "root-secret" });
  await call(auth, "UserGrantRole", { user: "root", role: "root" });
  await call(auth, "UserAdd", { name: "alice", password: "alice-secret" });
  await call(auth, "RoleAdd", { name: "app" });
  await call(auth, "RoleGrantPermission", {
    name: "app",
    perm: { permType: "READWRITE", key: b("/app/"), rangeEnd: b("/app0") },
  });
  await call(auth, "UserGrantRole", { user: "alice", role: "app" });
  await call(auth, "AuthEnable", {});
  rootToken = (await call(auth, "Authenticate", { name: "root", password: "root-secret" })).token;
  aliceToken = (await call(auth, "Authenticate", { name: "alice", password: "alice-secret" })).token;
});

afterAll(async () => {
  for (const c of clients) c.close();
  tokens?.close();
  await served?.close();
  leases?.stop();
  hub?.close();
  await backend?.kv.close();
  await backend?.close();
});

describe("Auth service", () => {
  it("stores and proposes only salted hashes of passwords", () => {
    expect(proposed.join("\n")).not.toContain("secret");
    expect(backend.kv.auth.user("alice")?.password.toString()).toMatch(/^scrypt\$/);
  });

  it("status, lists and gets for root; self-service for users", async () => {
    const status = await call(auth, "AuthStatus", {}, rootToken);
    expect(status.enabled).toBe(true);
    expect(Number(status.authRevision)).toBe(backend.kv.auth.revision);
    expect((await call(auth, "UserList", {}, rootToken)).users).toEqual(["alice", "root"]);
    expect((await call(auth, "RoleList", {}, rootToken)).roles).toEqual(["app"]);
    expect((await call(auth, "UserGet", { name: "alice" }, aliceToken)).roles).toEqual(["app"]);
    const role = await call(auth, "RoleGet", { role: "app" }, aliceToken);
    expect(role.perm).toHaveLength(1);
    expect(Buffer.from(role.perm[0].key).toString()).toBe("/app/");
    expect(role.perm[0].permType).toBe("READWRITE");
    await denied(call(auth, "UserGet", { name: "root" }, aliceToken));
    await denied(call(auth, "UserList", {}, aliceToken));
    await denied(call(auth, "AuthStatus", {}, aliceToken));
    await denied(call(auth, "UserAdd", { name: "eve", password: "x" }, aliceToken));
    await denied(call(auth, "UserList", {}), "etcdserver: user name is empty");
    await denied(call(auth, "UserList", {}, "bogus"), "etcdserver: invalid auth token");
  });

  it("checks nested txns, compares and both branches", async () => {
    const put = (key: string) => ({ requestPut: { key: b(key), value: b("v") } });
    await call(kv, "Txn", { success: [put("/app/a")], failure: [put("/app/b")] }, aliceToken);
    await denied(call(kv, "Txn", { success: [put("/app/a")], failure: [put("/x")] }, aliceToken));
    await denied(
      call(
        kv,
        "Txn",
        { success: [{ requestTxn: { failure: [{ requestRange: { key: b("/x") } }] } }] },
        aliceToken,
      ),
    );
    await denied(
      call(
        kv,
        "Txn",
        { compare: [{ key: b("/x"), target: "VERSION", result: "EQUAL" }], success: [] },
        aliceToken,
      ),
    );
    // Delete with prev_kv needs read too; alice has both inside /app/.
    await call(kv, "DeleteRange", { key: b("/app/a"), prevKv: true }, aliceToken);
  });

  it("leases: revoke and attach need write permission on the lease's keys (root bypasses)", async () => {
    const { ID: rootLease } = await call(lease, "LeaseGrant", { TTL: 60 }, rootToken);
    await call(kv, "Put", { key: b("/secret"), value: b("s"), lease: rootLease }, rootToken);
    await denied(call(kv, "Put", { key: b("/app/l"), value: b("v"), lease: rootLease }, aliceToken));
    await denied(call(lease, "LeaseRevoke", { ID: rootLease }, aliceToken));
    await denied(call(lease, "LeaseTimeToLive", { ID: rootLease, keys: true }, aliceToken));
    const { ID: aliceLease } = await call(lease, "LeaseGrant", { TTL: 60 }, aliceToken);
    await call(kv, "Put", { key: b("/app/l"), value: b("v"), lease: aliceLease }, aliceToken);
    await call(lease, "LeaseRevoke", { ID: aliceLease }, aliceToken);
    await call(lease, "LeaseRevoke", { ID: rootLease }, rootToken);
    expect((await call(kv, "Range", { key: b("/secret") }, rootToken)).kvs).toEqual([]);
  });

  it("Maintenance and Cluster: admin calls need root, Status and MemberList do not", async () => {
    await denied(call(maintenance, "Hash", {}, aliceToken));
    await denied(call(maintenance, "HashKV", {}, aliceToken));
    await denied(call(maintenance, "Defragment", {}), "etcdserver: user name is empty");
    await denied(call(maintenance, "MoveLeader", { targetID: 1 }, aliceToken));
    await call(maintenance, "Hash", {}, rootToken);
    expect((await call(maintenance, "Status", {})).version).toBeTruthy();
    expect((await call(cluster, "MemberList", {})).members.length).toBeGreaterThan(0);
    await denied(call(cluster, "MemberRemove", { ID: 1 }, aliceToken));
    // Snapshot is a stream: refused before the first chunk.
    const snapshotMd = new Metadata();
    snapshotMd.set("token", aliceToken);
    const snapshotClient = maintenance as unknown as {
      Snapshot(req: object, md: Metadata): ClientDuplexStream<object, Decoded>;
    };
    const stream = snapshotClient.Snapshot({}, snapshotMd);
    const err = await new Promise<ServiceError>((resolve) => {
      stream.on("data", () => undefined);
      stream.on("error", resolve);
    });
    expect(err.details).toBe("etcdserver: permission denied");
  });

  it("Watch: a range outside the user's permissions is canceled at creation", async () => {
    const watch = client("watch") as unknown as { Watch(md: Metadata): ClientDuplexStream<object, Decoded> };
    const md = new Metadata();
    md.set("token", aliceToken);
    const stream = watch.Watch(md);
    const ended = new Promise<void>((resolve) => stream.on("error", () => resolve()));
    const responses: Decoded[] = [];
    const next = (): Promise<Decoded> =>
      new Promise((resolve) => {
        const take = () => {
          if (responses.length > 0) resolve(responses.shift());
          else
            stream.once("data", (r) => {
              responses.push(r);
              take();
            });
        };
        take();
      });
    stream.write({ createRequest: { key: b("/other/"), rangeEnd: b("/other0") } });
    const refused = await next();
    expect(refused).toMatchObject({
      created: true,
      canceled: true,
      cancelReason: "etcdserver: permission denied",
    });
    stream.write({ createRequest: { key: b("/app/"), rangeEnd: b("/app0") } });
    const created = await next();
    expect(created.created).toBe(true);
    expect(created.canceled).toBe(false);
    await call(kv, "Put", { key: b("/app/w"), value: b("1") }, aliceToken);
    const event = await next();
    expect(Buffer.from(event.events[0].kv.key).toString()).toBe("/app/w");
    stream.cancel();
    await ended;
  });

  it("deleting a user voids its tokens", async () => {
    await call(auth, "UserAdd", { name: "bob", password: "bob-secret" }, rootToken);
    const bobToken = (await call(auth, "Authenticate", { name: "bob", password: "bob-secret" })).token;
    await denied(call(kv, "Range", { key: b("/app/k") }, bobToken));
    await call(auth, "UserDelete", { name: "bob" }, rootToken);
    await denied(call(kv, "Range", { key: b("/app/k") }, bobToken), "etcdserver: invalid auth token");
    await denied(
      call(auth, "Authenticate", { name: "bob", password: "bob-secret" }),
      "etcdserver: authentication failed, invalid user ID or password",
    );
  });
});
