// etcd's HTTP/JSON gateway on raftkv's client port, driven with curl as etcd's docs do: the
// documented examples, /version, a Patroni-shaped sequence (range, put with a lease, txn on
// mod_revision, keep-alive, watch over HTTP), and the JSON shapes etcd's gateway gives (int64 as
// strings, base64 bytes, zero values left out). gRPC (etcdctl) shares the same port.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdctl, etcdctlVersion } from "../cluster/etcdctl-proc.js";
import { ProcCluster, waitFor } from "../cluster/harness.js";

function hasCurl(): boolean {
  try {
    return spawn("curl", ["--version"]).pid !== undefined;
  } catch {
    return false;
  }
}

const ready = hasCurl();
if (!ready) console.warn("SKIPPED test/api/gateway.test.ts: needs curl (see .ci/run)");

interface CurlResult {
  readonly status: number;
  readonly body: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const unb64 = (s: string): string => Buffer.from(s, "base64").toString();

describe.skipIf(!ready)("HTTP/JSON gateway (real node, curl)", () => {
  let cluster: ProcCluster;
  let base: string;
  const children: ChildProcess[] = [];

  /** curl -X POST base+path -d body; the HTTP status and body. */
  function curl(path: string, body?: string, extra: readonly string[] = []): Promise<CurlResult> {
    const args = ["-s", "-m", "10", "-w", "\n%{http_code}", ...extra, `${base}${path}`];
    if (body !== undefined) args.push("-X", "POST", "-d", body);
    return new Promise((resolve, reject) => {
      execFile("curl", args, { timeout: 15_000 }, (err, stdout) => {
        if (err) return reject(err);
        const cut = stdout.lastIndexOf("\n");
        resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
      });
    });
  }

  async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const r = await curl(path, JSON.stringify(body));
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as Record<string, unknown>;
  }

  /** A streaming curl (watch): its stdout lines as they come. */
  function stream(path: string, body: string): { lines: () => Record<string, unknown>[]; stop: () => void } {
    const child = spawn("curl", ["-s", "-N", "-X", "POST", `${base}${path}`, "-d", body]);
    children.push(child);
    let text = "";
    child.stdout.on("data", (b: Buffer) => {
      text += b.toString();
    });
    return {
      lines: () =>
        text
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      stop: () => child.kill("SIGKILL"),
    };
  }

  beforeAll(async () => {
    cluster = await ProcCluster.start({ size: 1 });
    base = `http://127.0.0.1:${cluster.nodes[0]!.clientPort}`;
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await cluster?.stop();
  });

  it("answers GET /version as etcd does, with the etcd API level", async () => {
    const r = await curl("/version");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ etcdserver: "3.4.0", etcdcluster: "3.4.0" });
    const status = await post("/v3/maintenance/status", {});
    expect(status.version).toBe("3.4.0");
  });

  it("runs the examples of etcd's gateway docs (put, range, prefix, deleterange)", async () => {
    const put = await post("/v3/kv/put", { key: "Zm9v", value: "YmFy" });
    const header = put.header as Record<string, string>;
    // Only the header: int64/uint64 as strings, no zero-valued fields.
    expect(Object.keys(put)).toEqual(["header"]);
    expect(Object.keys(header).sort()).toEqual(["cluster_id", "member_id", "raft_term", "revision"]);
    for (const v of Object.values(header)) expect(v).toMatch(/^[1-9]\d*$/);

    const range = await post("/v3/kv/range", { key: "Zm9v" });
    expect(range.count).toBe("1");
    expect(range.more).toBeUndefined();
    const kv = (range.kvs as Record<string, string>[])[0]!;
    expect(kv).toEqual({
      key: "Zm9v",
      value: "YmFy",
      create_revision: header.revision,
      mod_revision: header.revision,
      version: "1",
    });

    await post("/v3/kv/put", { key: b64("foo2"), value: b64("x") });
    // etcd's doc: range_end "Zm9w" is "fop", i.e. every key with prefix "foo".
    const prefix = await post("/v3/kv/range", { key: "Zm9v", range_end: "Zm9w" });
    expect((prefix.kvs as { key: string }[]).map((k) => unb64(k.key))).toEqual(["foo", "foo2"]);
    const countOnly = await post("/v3/kv/range", { key: "Zm9v", range_end: "Zm9w", count_only: true });
    expect(countOnly).toMatchObject({ count: "2" });
    expect(countOnly.kvs).toBeUndefined();

    const del = await post("/v3/kv/deleterange", { key: b64("foo2"), prev_kv: true });
    expect(del.deleted).toBe("1");
    expect((del.prev_kvs as { value: string }[])[0]!.value).toBe(b64("x"));
    // Also under /v3beta/ (etcd 3.4 serves both).
    const beta = await post("/v3beta/kv/range", { key: "Zm9v" });
    expect(beta.count).toBe("1");
  });

  it("shares the port with gRPC: etcdctl sees the gateway's writes and the gateway etcdctl's", async () => {
    if (etcdctlVersion() === undefined) return;
    await post("/v3/kv/put", { key: b64("shared"), value: b64("from-http") });
    const get = await etcdctl(cluster.endpoints(), ["get", "shared", "--print-value-only"]);
    expect(get.stdout.trim()).toBe("from-http");
    await etcdctl(cluster.endpoints(), ["put", "shared", "from-grpc"]);
    const range = await post("/v3/kv/range", { key: b64("shared") });
    expect(unb64((range.kvs as { value: string }[])[0]!.value)).toBe("from-grpc");
  });

  it("runs a Patroni-shaped sequence: range, put with a lease, txn on mod_revision, keep-alive, watch", async () => {
    const leaderKey = b64("/service/batman/leader");
    const prefix = b64("/service/batman/");
    const prefixEnd = b64("/service/batman0");
    const empty = await post("/v3/kv/range", { key: prefix, range_end: prefixEnd });
    expect(empty.kvs).toBeUndefined();
    expect(empty.count).toBeUndefined();

    const grant = await post("/v3/lease/grant", { TTL: 30 });
    const leaseId = grant.ID as string;
    expect(leaseId).toMatch(/^\d+$/);
    expect(grant.TTL).toBe("30");
    await post("/v3/kv/put", { key: leaderKey, value: b64("postgresql0"), lease: leaseId });
    const got = await post("/v3/kv/range", { key: prefix, range_end: prefixEnd });
    const leader = (got.kvs as Record<string, string>[])[0]!;
    expect(leader.lease).toBe(leaseId);
    const modRevision = leader.mod_revision!;

    // Update the leader key only if nobody changed it (compare on mod_revision).
    const txn = (revision: string) =>
      post("/v3/kv/txn", {
        compare: [{ key: leaderKey, result: "EQUAL", target: "MOD", mod_revision: revision }],
        success: [{ request_put: { key: leaderKey, value: b64("postgresql0"), lease: leaseId } }],
        failure: [{ request_range: { key: leaderKey } }],
      });
    const won = await txn(modRevision);
    expect(won.succeeded).toBe(true);
    const lost = await txn(modRevision);
    expect(lost.succeeded).toBeUndefined(); // false is left out, as grpc-gateway does
    const failed = (lost.responses as { response_range: { kvs: { value: string }[] } }[])[0]!;
    expect(unb64(failed.response_range.kvs[0]!.value)).toBe("postgresql0");

    const keepAlive = await curl("/v3/lease/keepalive", JSON.stringify({ ID: leaseId }));
    expect(keepAlive.status).toBe(200);
    const lines = keepAlive.body.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).result).toMatchObject({ ID: leaseId, TTL: "30" });

    const ttl = await post("/v3/lease/timetolive", { ID: leaseId, keys: true });
    expect(ttl.keys).toEqual([leaderKey]);
    expect(ttl.grantedTTL).toBe("30");

    // Watch from the revision after the last change, as Patroni does, then change the key.
    const after = Number((won.header as { revision: string }).revision) + 1;
    const watch = stream(
      "/v3/watch",
      JSON.stringify({ create_request: { key: leaderKey, start_revision: String(after) } }),
    );
    await waitFor("the watch is created", () =>
      watch.lines().some((l) => (l.result as { created?: boolean })?.created),
    );
    await post("/v3/kv/deleterange", { key: leaderKey });
    const event = await waitFor("the delete event over HTTP", () =>
      watch.lines().find((l) => (l.result as { events?: unknown[] })?.events !== undefined),
    );
    const events = (event.result as { events: { type?: string; kv: Record<string, string> }[] }).events;
    expect(events[0]!.type).toBe("DELETE");
    expect(events[0]!.kv.key).toBe(leaderKey);
    // The client goes away: the server ends the watch stream behind it (counted when it ends).
    const metrics = `http://127.0.0.1:${cluster.nodes[0]!.metricsPort}/metrics`;
    expect(await (await fetch(metrics)).text()).not.toMatch(/grpc_method="Watch",grpc_code="OK"\} [1-9]/);
    watch.stop();
    await waitFor("the watch stream ended on the server", async () =>
      /grpc_server_handled_total\{grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch",grpc_code="OK"\} [1-9]/.test(
        await (await fetch(metrics)).text(),
      ),
    );

    const revoke = await post("/v3/kv/lease/revoke", { ID: leaseId });
    expect(Object.keys(revoke)).toEqual(["header"]);
    const leases = await post("/v3/lease/leases", {});
    expect(leases.leases ?? []).not.toContainEqual({ ID: leaseId });
  }, 30_000);

  it("lists members and compacts", async () => {
    const members = await post("/v3/cluster/member/list", {});
    const [m] = members.members as Record<string, unknown>[];
    expect(m).toMatchObject({ name: "n1" });
    expect(m!.ID).toMatch(/^\d+$/);
    expect(m!.isLearner).toBeUndefined();
    const put = await post("/v3/kv/put", { key: b64("c"), value: b64("1") });
    const revision = (put.header as { revision: string }).revision;
    const compact = await post("/v3/kv/compaction", { revision, physical: true });
    expect(Object.keys(compact)).toEqual(["header"]);
    const old = await curl("/v3/kv/range", JSON.stringify({ key: b64("c"), revision: "1" }));
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body)).toEqual({
      error: "etcdserver: mvcc: required revision has been compacted",
      message: "etcdserver: mvcc: required revision has been compacted",
      code: 11,
    });
  });

  it("answers bad requests clearly and loses nothing", async () => {
    const badJson = await curl("/v3/kv/put", "{not json");
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body)).toMatchObject({ code: 3 });
    const badField = await curl("/v3/kv/put", JSON.stringify({ key: 5 }));
    expect(badField.status).toBe(400);
    expect(JSON.parse(badField.body).message).toMatch(/key/);
    const emptyKey = await curl("/v3/kv/put", JSON.stringify({ value: b64("v") }));
    expect(emptyKey.status).toBe(400);
    expect(JSON.parse(emptyKey.body).error).toBe("etcdserver: key is not provided");
    expect((await curl("/v3/kv/nothing", "{}")).status).toBe(404);
    expect((await curl("/v3/kv/range")).status).toBe(405);
    const still = await post("/v3/kv/range", { key: "Zm9v" });
    expect(still.count).toBe("1");
  });

  it("serves etcd's auth paths, the token travelling in the Authorization header", async () => {
    // etcd's documented sequence: a root user and role, auth on, authenticate, use the token.
    await post("/v3/auth/user/add", { name: "root", password: "pass" });
    await post("/v3/auth/role/add", { name: "root" });
    await post("/v3/auth/user/grant", { user: "root", role: "root" });
    await post("/v3/auth/enable", {});
    try {
      const denied = await curl("/v3/kv/put", JSON.stringify({ key: b64("a"), value: b64("b") }));
      // etcd answers a call without a token under auth with InvalidArgument, hence 400.
      expect(denied.status).toBe(400);
      expect(JSON.parse(denied.body)).toMatchObject({ error: "etcdserver: user name is empty", code: 3 });
      const auth = await post("/v3/auth/authenticate", { name: "root", password: "pass" });
      const token = auth.token as string;
      expect(token.length).toBeGreaterThan(0);
      const bad = await curl("/v3/kv/put", JSON.stringify({ key: b64("a"), value: b64("b") }), [
        "-H",
        "Authorization: not-a-token",
      ]);
      expect(bad.status).toBe(401);
      expect(JSON.parse(bad.body).error).toBe("etcdserver: invalid auth token");
      const put = await curl("/v3/kv/put", JSON.stringify({ key: b64("a"), value: b64("b") }), [
        "-H",
        `Authorization: ${token}`,
      ]);
      expect(put.status, put.body).toBe(200);
      const users = await curl("/v3/auth/user/list", "{}", ["-H", `Authorization: ${token}`]);
      expect(JSON.parse(users.body).users).toEqual(["root"]);
      const off = await curl("/v3/auth/disable", "{}", ["-H", `Authorization: ${token}`]);
      expect(off.status, off.body).toBe(200);
    } finally {
      // Leave the node open for the other tests even if an assertion failed.
      if ((await curl("/v3/kv/range", JSON.stringify({ key: "Zm9v" }))).status !== 200) {
        const auth = await post("/v3/auth/authenticate", { name: "root", password: "pass" });
        await curl("/v3/auth/disable", "{}", ["-H", `Authorization: ${auth.token as string}`]);
      }
    }
    expect((await curl("/v3/kv/range", JSON.stringify({ key: b64("a") }))).status).toBe(200);
  });
});
