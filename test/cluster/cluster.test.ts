// A 3-node cluster of real raftkv processes on loopback: linearizable reads across nodes, writes
// through a follower, member attributes, bad input on the client and the peer ports, and the
// `raftkv` client commands.

import { execFile, spawn } from "node:child_process";
import { connect } from "node:net";
import { promisify } from "node:util";
import { Client, credentials, status as grpcStatus, Metadata, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type EtcdClient, EtcdClientError, op } from "../../src/client/index.js";
import { CLI, freePort, ProcCluster, type ProcNode, waitFor } from "./harness.js";

const run = promisify(execFile);

let cluster: ProcCluster;
let leader: ProcNode;
let followers: ProcNode[];

/** A client that talks to `n` only (no failover), so the test knows which node served. */
function only(n: ProcNode): EtcdClient {
  return cluster.client([n]);
}

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 3 });
  leader = await cluster.waitForLeader();
  followers = cluster.nodes.filter((n) => n !== leader);
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

describe("a 3-node cluster", () => {
  it("a write through one node is read through every other (linearizable reads)", async () => {
    const clients = cluster.nodes.map(only);
    for (let i = 0; i < 30; i++) {
      const writer = clients[i % 3]!;
      const put = await writer.put("lin", `v${i}`);
      for (const reader of [clients[(i + 1) % 3]!, clients[(i + 2) % 3]!]) {
        const got = await reader.get("lin");
        expect(got.kvs[0]?.value.toString(), `read ${i}`).toBe(`v${i}`);
        // The read saw at least the revision the write produced.
        expect(got.header?.revision).toBeGreaterThanOrEqual(put.header!.revision);
      }
    }
  });

  it("linearizable reads arriving together on both followers are answered together", async () => {
    // Each follower asks the leader for a read index; requests from different followers must not
    // be taken for one another (a dropped one is only retried after an election timeout, 1 s).
    const clients = followers.map(only);
    await Promise.all(clients.map((c) => c.get("warm-up")));
    const slowRounds: number[] = [];
    for (let round = 0; round < 10; round++) {
      await only(leader).put("together", String(round));
      const started = Date.now();
      const got = await Promise.all(clients.map((c) => c.get("together")));
      for (const g of got) expect(g.kvs[0]?.value.toString()).toBe(String(round));
      if (Date.now() - started >= 900) slowRounds.push(round);
    }
    // One heartbeat round trip each; one slow round is tolerated on a very busy machine.
    expect(slowRounds.length, `rounds that waited for a retry: ${slowRounds}`).toBeLessThanOrEqual(1);
  });

  it("writes through a follower are forwarded to the leader and answered by the follower", async () => {
    const leaderId = await cluster.memberId(leader);
    for (const f of followers) {
      const c = only(f);
      const fid = await cluster.memberId(f);
      const res = await c.put(`via/${f.name}`, f.name);
      expect(Number(res.header?.memberId)).toBe(fid);
      expect(Number(res.header?.memberId)).not.toBe(leaderId);
      const txn = await c.txn({
        compare: [],
        success: [op.put(`via/${f.name}/txn`, "t"), op.get(`via/${f.name}`)],
        failure: [],
      });
      expect(txn.succeeded).toBe(true);
      expect(txn.responses[1]?.responseRange?.kvs[0]?.value.toString()).toBe(f.name);
      await c.delete(`via/${f.name}/txn`);
    }
    const got = await only(leader).get("via/", { prefix: true });
    expect(got.kvs.map((kv) => kv.key.toString())).toEqual(followers.map((f) => `via/${f.name}`).sort());
  });

  it("every node lists every member with its name, peer URL and client URL", async () => {
    const expected = cluster.nodes
      .map((n) => ({
        name: n.name,
        peerURLs: [`http://127.0.0.1:${n.peerPort}`],
        clientURLs: [`http://127.0.0.1:${n.clientPort}`],
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const n of cluster.nodes) {
      // Members publish their client URLs through Raft once a leader is known: poll briefly.
      const members = await waitFor(
        `${n.name} to list every member's client URL`,
        async () => {
          const res = await only(n).memberList();
          const got = res.members
            .map((m) => ({ name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs }))
            .sort((a, b) => a.name.localeCompare(b.name));
          return got.every((m) => m.clientURLs.length > 0) ? got : null;
        },
        10_000,
      );
      expect(members).toEqual(expected);
    }
  });
});

describe("bad input", () => {
  async function rejects(call: Promise<unknown>): Promise<EtcdClientError> {
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EtcdClientError);
    return err as EtcdClientError;
  }

  it("answers etcd's errors for an oversize value, an empty key and too many txn ops", async () => {
    for (const n of [leader, followers[0]!]) {
      const c = only(n);
      const big = await rejects(c.put("big", Buffer.alloc(1.6 * 1024 * 1024, 120)));
      expect(big.details).toBe("etcdserver: request is too large");
      const empty = await rejects(c.put("", "v"));
      expect(empty.details).toBe("etcdserver: key is not provided");
      const ops = Array.from({ length: 129 }, (_, i) => op.put(`t${i}`, "v"));
      const many = await rejects(c.txn({ compare: [], success: ops, failure: [] }));
      expect(many.details).toBe("etcdserver: too many operations in txn request");
      // 128 is the limit, not an error.
      const ok = await c.txn({ compare: [], success: ops.slice(0, 128), failure: [] });
      expect(ok.succeeded).toBe(true);
    }
    // Nothing of the refused requests was written.
    const got = await only(leader).get("big");
    expect(got.kvs).toEqual([]);
  });

  it("survives garbage bytes on the peer port, and the cluster still commits", async () => {
    const target = followers[0]!;
    const garbage = [
      Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) & 0xff)),
      // An HTTP/2 preface, then a frame header claiming a huge DATA frame on a stream never opened.
      Buffer.concat([
        Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        Buffer.from([0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]),
        Buffer.alloc(4096, 0xab),
      ]),
    ];
    for (const payload of garbage) {
      await new Promise<void>((resolve) => {
        const sock = connect(target.peerPort, "127.0.0.1", () => {
          sock.end(payload);
        });
        sock.on("error", () => resolve());
        sock.on("close", () => resolve());
        sock.resume();
      });
    }
    // Well-framed gRPC calls to the Raft service carrying garbage: no identity, then a forged one
    // (our cluster, from the leader) with bytes that are not a Batch.
    const status = await only(target).status();
    const forged: Record<string, string> = {
      "raftkv-cluster-id": String(status.header!.clusterId),
      "raftkv-from": String(await cluster.memberId(leader)),
      "raftkv-to": String(status.header!.memberId),
    };
    const raw = new Client(`127.0.0.1:${target.peerPort}`, credentials.createInsecure());
    try {
      for (const md of [{} as Record<string, string>, forged]) {
        const metadata = new Metadata();
        for (const [k, v] of Object.entries(md)) metadata.set(k, v);
        const outcome = await new Promise<ServiceError | null>((resolve) => {
          const call = raw.makeClientStreamRequest<Buffer, Buffer>(
            "/raftkv.raft.v1.Raft/Stream",
            (b) => b,
            (b) => b,
            metadata,
            { deadline: Date.now() + 5000 },
            (err) => resolve(err),
          );
          call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
          call.write(Buffer.alloc(300, 0xee));
          call.end();
        });
        expect(outcome?.code, `outcome ${outcome?.message}`).toBe(grpcStatus.INVALID_ARGUMENT);
      }
    } finally {
      raw.close();
    }
    await cluster.waitForOutput(target, /malformed Batch from/);

    expect(target.proc, `${target.name} exited:\n${target.output.slice(-2000)}`).not.toBeNull();
    const c = only(target);
    await c.put("after-garbage", "ok");
    expect((await only(leader).get("after-garbage")).kvs[0]?.value.toString()).toBe("ok");
    expect((await c.status()).errors).toEqual([]);
  });

  it("rejects a peer of another cluster with a clear message; the cluster is unaffected", async () => {
    const before = await only(leader).status();
    const foreign: ProcNode = {
      name: "intruder",
      clientPort: await freePort(),
      peerPort: await freePort(),
      metricsPort: await freePort(),
      dataDir: `${cluster.root}/intruder`,
      proc: null,
      output: "",
      exitCode: null,
      exitSignal: null,
    };
    const args = [
      CLI,
      "--name",
      "intruder",
      "--data-dir",
      foreign.dataDir,
      "--listen-client",
      `127.0.0.1:${foreign.clientPort}`,
      "--listen-peer",
      `127.0.0.1:${foreign.peerPort}`,
      "--listen-metrics",
      "",
      "--peers",
      `${cluster.peers},intruder=127.0.0.1:${foreign.peerPort}`,
      "--cluster-token",
      "another-cluster",
      "--log-format",
      "json",
    ];
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((r) => proc.once("exit", r));
    try {
      // The intruder campaigns; every member of the cluster refuses its messages.
      for (const n of cluster.nodes) {
        await cluster.waitForOutput(n, /message from cluster [0-9a-fx]+ rejected \(this is cluster/, 15_000);
      }
      await only(followers[1]!).put("after-intruder", "ok");
      const after = await only(leader).status();
      expect(Number(after.leader)).toBe(Number(before.leader));
      expect(Number(after.raftTerm)).toBe(Number(before.raftTerm));
      for (const n of cluster.nodes) expect(n.proc).not.toBeNull();
    } finally {
      proc.kill("SIGKILL");
      await exited;
    }
  });
});

describe("the raftkv client commands", () => {
  async function raftkv(...args: string[]): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      [CLI, ...args, "--endpoints", cluster.endpoints().join(",")],
      {
        timeout: 20_000,
      },
    );
    return stdout;
  }

  it("put, get, del, members and status work against the cluster", async () => {
    expect(await raftkv("put", "cli/a", "1")).toBe("OK\n");
    expect(await raftkv("put", "cli/b", "2")).toBe("OK\n");
    expect(await raftkv("get", "cli/a")).toBe("cli/a\n1\n");
    expect(await raftkv("get", "cli/", "--prefix")).toBe("cli/a\n1\ncli/b\n2\n");
    expect(await raftkv("get", "cli/", "--prefix", "--keys-only", "--limit", "1")).toBe("cli/a\n");
    expect(await raftkv("del", "cli/a")).toBe("1\n");
    expect(await raftkv("get", "cli/", "--prefix", "--count-only")).toBe("1\n");

    const members = (await raftkv("members", "-w", "simple")).trim().split("\n");
    expect(members).toHaveLength(3);
    for (const n of cluster.nodes) {
      const line = members.find((l) => l.includes(`, ${n.name}, `));
      expect(line, `members line of ${n.name}`).toContain(
        `, started, ${n.name}, http://127.0.0.1:${n.peerPort}, http://127.0.0.1:${n.clientPort}, false`,
      );
    }

    const status = (await raftkv("status", "-w", "simple")).trim().split("\n");
    expect(status).toHaveLength(3);
    const leaderHex = (await cluster.memberId(leader)).toString(16).padStart(16, "0");
    for (const [i, line] of status.entries()) {
      expect(line.startsWith(`${cluster.endpoint(cluster.nodes[i]!)}, `)).toBe(true);
      expect(line).toContain(`, ${leaderHex},`);
    }

    const txn = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [CLI, "txn", "--endpoints", cluster.endpoints().join(",")],
        { timeout: 20_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
      child.stdin!.end('value("cli/b") = "2"\n\nput cli/b 3\nget cli/b\n\nput cli/b lost\n');
    });
    expect(txn).toBe("SUCCESS\nOK\ncli/b\n3\n");
  });

  it("a failed call exits non-zero with the server's message", async () => {
    const err = await run(process.execPath, [CLI, "put", "", "v", "--endpoints", cluster.endpoint(leader)], {
      timeout: 20_000,
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain("etcdserver: key is not provided");
  });
});
