// The same JSON requests sent to a real etcd 3.4 (Debian's etcd-server) and to raftkv, each fresh:
// the answers must be the same, byte for byte once the fields that name the cluster (cluster_id,
// member_id, raft_term) are set aside. Skipped, saying so, when the etcd binary is not installed.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ProcCluster, waitFor } from "../cluster/harness.js";

const hasEtcd = spawnSync("etcd", ["--version"]).status === 0;
if (!hasEtcd) console.warn("SKIPPED test/api/gateway-vs-etcd.test.ts: needs the etcd binary (etcd-server)");

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: string;
}

async function ask(base: string, path: string, body?: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

/** The answer with the cluster-specific header fields replaced. */
function normalized(answer: Answer): Answer {
  return {
    ...answer,
    body: answer.body.replace(/"(cluster_id|member_id|raft_term)":"\d+"/g, '"$1":"*"'),
  };
}

// Each request in order; both stores start empty, so revisions and lease IDs line up.
const SEQUENCE: readonly (readonly [string, string])[] = [
  ["/v3/kv/put", '{"key":"Zm9v","value":"YmFy"}'],
  ["/v3/kv/range", '{"key":"Zm9v"}'],
  ["/v3/kv/put", '{"key":"Zm9vMg==","value":"eA==","prev_kv":true}'],
  ["/v3/kv/range", '{"key":"Zm9v","range_end":"Zm9w"}'],
  ["/v3/kv/range", '{"key":"Zm9v","range_end":"Zm9w","count_only":true}'],
  ["/v3/kv/range", '{"key":"Zm9v","range_end":"Zm9w","limit":1,"keys_only":true}'],
  ["/v3/kv/range", '{"key":"bm9wZQ=="}'],
  [
    "/v3/kv/txn",
    '{"compare":[{"target":"MOD","key":"Zm9v","mod_revision":"2"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}],"failure":[{"request_range":{"key":"Zm9v"}}]}',
  ],
  [
    "/v3/kv/txn",
    '{"compare":[{"target":"MOD","key":"Zm9v","mod_revision":"2"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}],"failure":[{"request_range":{"key":"Zm9v"}}]}',
  ],
  [
    "/v3/kv/txn",
    '{"compare":[{"target":"VALUE","key":"Zm9v","value":"YmF6"},{"target":"VERSION","key":"bm9wZQ==","version":"0"}],"success":[{"request_delete_range":{"key":"Zm9vMg==","prev_kv":true}}]}',
  ],
  ["/v3/lease/grant", '{"TTL":60,"ID":1234}'],
  ["/v3/kv/put", '{"key":"bA==","value":"dg==","lease":"1234"}'],
  ["/v3/lease/keepalive", '{"ID":"1234"}'],
  ["/v3/lease/leases", "{}"],
  ["/v3/kv/compaction", '{"revision":"3"}'],
  ["/v3/kv/range", '{"key":"Zm9v","revision":"2"}'],
  ["/v3/kv/put", '{"value":"dg=="}'],
  ["/v3/kv/deleterange", '{"key":"bA==","prev_kv":true}'],
  ["/v3/lease/revoke", '{"ID":"1234"}'],
  ["/v3/lease/timetolive", '{"ID":"1234"}'],
  ["/v3beta/kv/range", '{"key":"Zm9v"}'],
  ["/v3/kv/nothing", "{}"],
];

describe.skipIf(!hasEtcd)("the gateway answers as etcd 3.4's does", () => {
  let etcd: ChildProcess | undefined;
  let etcdDir = "";
  let etcdBase = "";
  let cluster: ProcCluster;
  let raftkvBase = "";

  beforeAll(async () => {
    etcdDir = mkdtempSync(join(tmpdir(), "raftkv-etcd-"));
    const [client, peer] = [await freePort(), await freePort()];
    etcdBase = `http://127.0.0.1:${client}`;
    etcd = spawn(
      "etcd",
      [
        "--name",
        "e",
        "--data-dir",
        join(etcdDir, "data"),
        "--listen-client-urls",
        etcdBase,
        "--advertise-client-urls",
        etcdBase,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `e=http://127.0.0.1:${peer}`,
      ],
      { stdio: "ignore" },
    );
    const reap = (): void => {
      etcd?.kill("SIGKILL");
    };
    process.once("exit", reap);
    cluster = await ProcCluster.start({ size: 1 });
    raftkvBase = `http://127.0.0.1:${cluster.nodes[0]!.clientPort}`;
    await waitFor(
      "etcd answers",
      async () => (await ask(etcdBase, "/v3/kv/range", '{"key":"AA=="}')).status === 200,
    );
  }, 60_000);

  afterAll(async () => {
    etcd?.kill("SIGKILL");
    await cluster?.stop();
    if (etcdDir !== "") rmSync(etcdDir, { recursive: true, force: true });
  });

  it("gives the same status, content type and JSON for the same requests", async () => {
    for (const [path, body] of SEQUENCE) {
      const [fromEtcd, fromRaftkv] = [await ask(etcdBase, path, body), await ask(raftkvBase, path, body)];
      expect(normalized(fromRaftkv), `${path} ${body}`).toEqual(normalized(fromEtcd));
    }
  }, 60_000);

  it("answers /version in etcd's shape, without a newline", async () => {
    const [fromEtcd, fromRaftkv] = [await ask(etcdBase, "/version"), await ask(raftkvBase, "/version")];
    expect(Object.keys(JSON.parse(fromRaftkv.body))).toEqual(Object.keys(JSON.parse(fromEtcd.body)));
    expect(fromRaftkv.body.endsWith("}")).toBe(fromEtcd.body.endsWith("}"));
  });
});
