// etcd authentication end to end: the real etcdctl against real raftkv processes. Users, roles
// and permissions set up with etcdctl as etcd's docs do it; reads and writes allowed inside the
// granted prefix and refused outside; a token that expires; and the same users enforced after a
// restart and by a member that got its state from a snapshot.
// Skipped, saying so, only when etcdctl is not installed; CI installs it.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiServices } from "../../src/api/proto.js";
import { etcdctl, etcdctlVersion, type Run } from "./etcdctl-proc.js";
import { CLI, freePort, ProcCluster, type ProcNode, waitFor } from "./harness.js";

const version = etcdctlVersion();
if (version === undefined) {
  console.warn(
    "SKIPPED test/cluster/auth.test.ts: etcdctl not found on PATH (apt-get install -y etcd-client)",
  );
}

const TOKEN_TTL_SECONDS = 2;
const ROOT = ["--user", "root:rootpw"];
const ALICE = ["--user", "alice:alicepw"];

let cluster: ProcCluster;
let n1: ProcNode;

async function ctl(args: readonly string[], node: ProcNode = n1): Promise<Run> {
  return etcdctl([cluster.endpoint(node)], args);
}

async function ok(args: readonly string[], node?: ProcNode): Promise<string> {
  const run = await ctl(args, node);
  expect(run.code, `etcdctl ${args.join(" ")}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

async function refused(args: readonly string[], message: string, node?: ProcNode): Promise<void> {
  const run = await ctl(args, node);
  expect(run.code, `etcdctl ${args.join(" ")} should fail: ${run.stdout}`).not.toBe(0);
  expect(run.stderr).toContain(message);
}

/** What alice may and may not do; the same on every member, before and after restarts. */
async function expectAlicePermissions(node: ProcNode, value: string): Promise<void> {
  expect(await ok([...ALICE, "put", "/app/k", value], node)).toBe("OK\n");
  expect(await ok([...ALICE, "get", "/app/k", "--print-value-only"], node)).toBe(`${value}\n`);
  expect(await ok([...ALICE, "get", "/app/", "--prefix", "--keys-only"], node)).toContain("/app/k");
  await refused([...ALICE, "put", "/other", "x"], "etcdserver: permission denied", node);
  await refused([...ALICE, "get", "/other"], "etcdserver: permission denied", node);
  await refused([...ALICE, "get", "/", "--prefix"], "etcdserver: permission denied", node);
  await refused([...ALICE, "del", "/app/", "--from-key"], "etcdserver: permission denied", node);
  await refused(["get", "/app/k"], "etcdserver: user name is empty", node);
  await refused(
    ["--user", "alice:wrong", "get", "/app/k"],
    "authentication failed, invalid user ID or password",
    node,
  );
}

describe.skipIf(version === undefined)("auth with etcdctl", () => {
  beforeAll(async () => {
    cluster = await ProcCluster.start({
      size: 1,
      token: "auth",
      extraArgs: [
        "--auth-token-ttl",
        String(TOKEN_TTL_SECONDS),
        "--snapshot-count",
        "40",
        "--snapshot-catchup-entries",
        "5",
      ],
    });
    n1 = cluster.nodes[0]!;
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  beforeEach((ctx) => {
    ctx.onTestFailed(() => console.log(cluster?.tails(40)));
  });

  it("sets up users and roles as etcd's docs do, and enables auth", async () => {
    expect(await ok(["user", "add", "root:rootpw"])).toBe("User root created\n");
    // etcdctl answers "root user does not have root role" by adding the role root and granting
    // it (it recognises etcd's exact message), then enables.
    expect(await ok(["auth", "enable"])).toBe("Authentication Enabled\n");
    expect(await ok([...ROOT, "user", "get", "root"])).toBe("User: root\nRoles: root\n");
    // From now on nothing works without credentials.
    await refused(["put", "/app/k", "v"], "etcdserver: user name is empty");
    await refused(["user", "add", "eve:x"], "etcdserver: user name is empty");
    await refused(["--user", "root:bad", "get", "k"], "authentication failed, invalid user ID or password");

    expect(await ok([...ROOT, "user", "add", "alice:alicepw"])).toBe("User alice created\n");
    await refused([...ROOT, "user", "add", "alice:again"], "etcdserver: user name already exists");
    expect(await ok([...ROOT, "role", "add", "r"])).toBe("Role r created\n");
    expect(await ok([...ROOT, "role", "grant-permission", "r", "readwrite", "/app/", "--prefix"])).toBe(
      "Role r updated\n",
    );
    expect(await ok([...ROOT, "user", "grant-role", "alice", "r"])).toBe("Role r is granted to user alice\n");
    await refused([...ROOT, "user", "grant-role", "alice", "nope"], "etcdserver: role name not found");
    await refused([...ROOT, "user", "grant-role", "bob", "r"], "etcdserver: user name not found");

    expect(await ok([...ROOT, "user", "list"])).toBe("alice\nroot\n");
    expect(await ok([...ROOT, "role", "list"])).toBe("r\nroot\n");
    expect(await ok([...ROOT, "user", "get", "alice"])).toBe("User: alice\nRoles: r\n");
    const role = await ok([...ROOT, "role", "get", "r"]);
    expect(role).toContain("KV Read:");
    expect(role).toContain("[/app/, /app0) (prefix /app/)");
  });

  it("alice reads and writes inside /app/ only; root everywhere", async () => {
    await expectAlicePermissions(n1, "v1");
    // Txn: every compare and the ops of both branches are checked.
    const inside = 'value("/app/k") = "v1"\n\nput /app/t yes\n\nput /app/t no\n\n';
    const txnOk = await etcdctl([cluster.endpoint(n1)], [...ALICE, "txn"], inside);
    expect(txnOk.code, txnOk.stderr).toBe(0);
    expect(txnOk.stdout).toBe("SUCCESS\n\nOK\n");
    const outsideFailure = 'value("/app/k") = "v1"\n\nput /app/t yes\n\nput /other no\n\n';
    const txnDenied = await etcdctl([cluster.endpoint(n1)], [...ALICE, "txn"], outsideFailure);
    expect(txnDenied.code).not.toBe(0);
    expect(txnDenied.stderr).toContain("etcdserver: permission denied");
    const outsideCompare = 'value("/other") = "v1"\n\nput /app/t yes\n\n\n';
    const cmpDenied = await etcdctl([cluster.endpoint(n1)], [...ALICE, "txn"], outsideCompare);
    expect(cmpDenied.stderr).toContain("etcdserver: permission denied");
    // Admin calls need root.
    await refused([...ALICE, "user", "list"], "etcdserver: permission denied");
    await refused(
      [...ALICE, "snapshot", "save", join(cluster.root, "alice.db")],
      "etcdserver: permission denied",
    );
    // Root bypasses key permissions.
    expect(await ok([...ROOT, "put", "/other", "r"])).toBe("OK\n");
    expect(await ok([...ROOT, "get", "/other", "--print-value-only"])).toBe("r\n");
  });

  it("a token expires once unused for --auth-token-ttl", async () => {
    const services = apiServices();
    const Auth = makeGenericClientConstructor(services.auth, "Auth");
    const KV = makeGenericClientConstructor(services.kv, "KV");
    const address = cluster.endpoint(n1);
    const auth = new Auth(address, credentials.createInsecure());
    const kv = new KV(address, credentials.createInsecure());
    type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;
    const call = (client: object, method: string, req: object, md = new Metadata()): Promise<unknown> =>
      new Promise((resolve, reject) => {
        (client as Record<string, Unary>)[method]!.call(client, req, md, (err, res) =>
          err ? reject(err) : resolve(res),
        );
      });
    try {
      const { token } = (await call(auth, "Authenticate", { name: "alice", password: "alicepw" })) as {
        token: string;
      };
      expect(token.length).toBeGreaterThan(0);
      const withToken = new Metadata();
      withToken.set("token", token);
      const got = (await call(kv, "Range", { key: Buffer.from("/app/k") }, withToken)) as { count: number };
      expect(Number(got.count)).toBe(1);
      // The member forgets the token TOKEN_TTL_SECONDS after its last use (polled, not slept).
      const metrics = `http://127.0.0.1:${n1.metricsPort}/metrics`;
      await waitFor(
        "the token to expire",
        async () => /^raftkv_auth_simple_tokens 0$/m.test(await (await fetch(metrics)).text()),
        TOKEN_TTL_SECONDS * 1000 + 15_000,
        200,
      );
      const err = (await call(kv, "Range", { key: Buffer.from("/app/k") }, withToken).catch(
        (e) => e,
      )) as ServiceError;
      expect(err.code).toBe(16); // UNAUTHENTICATED
      expect(err.details).toBe("etcdserver: invalid auth token");
      const bogus = new Metadata();
      bogus.set("token", "not-a-token");
      const err2 = (await call(kv, "Range", { key: Buffer.from("/app/k") }, bogus).catch(
        (e) => e,
      )) as ServiceError;
      expect(err2.details).toBe("etcdserver: invalid auth token");
    } finally {
      auth.close();
      kv.close();
    }
  });

  it("users, roles and the enabled flag survive a restart", async () => {
    await cluster.kill(n1, "SIGTERM");
    cluster.spawn(n1);
    await cluster.waitForLeader();
    await expectAlicePermissions(n1, "v2");
    expect(await ok([...ROOT, "user", "get", "alice"])).toBe("User: alice\nRoles: r\n");
  });

  describe("a member that joins gets auth from a snapshot", () => {
    let joiner: ChildProcess | null = null;
    let joinerOutput = "";
    afterAll(async () => {
      if (joiner !== null && joiner.exitCode === null) {
        const exited = new Promise((r) => joiner!.once("exit", r));
        joiner.kill("SIGKILL");
        await exited;
      }
    });

    it("and enforces the same users", async () => {
      // Enough entries that the log is compacted past its start (--snapshot-count 40).
      for (let i = 0; i < 25; i++) {
        const txn = Array.from({ length: 8 }, (_, j) => `put /app/bulk/${i}/${j} v`).join("\n");
        const run = await etcdctl([cluster.endpoint(n1)], [...ALICE, "txn"], `\n${txn}\n\n\n`);
        expect(run.code, run.stderr).toBe(0);
      }
      await cluster.waitForOutput(n1, /"msg":"snapshot taken"/, 20_000);
      const peerPort = await freePort();
      const clientPort = await freePort();
      await refused(
        ["member", "add", "n2", `--peer-urls=http://127.0.0.1:${peerPort}`, "--learner"],
        "etcdserver: user name is empty",
      );
      await refused(
        [...ALICE, "member", "add", "n2", `--peer-urls=http://127.0.0.1:${peerPort}`, "--learner"],
        "etcdserver: permission denied",
      );
      const added = await ok([
        ...ROOT,
        "member",
        "add",
        "n2",
        `--peer-urls=http://127.0.0.1:${peerPort}`,
        "--learner",
      ]);
      expect(added).toContain("added to cluster");
      joiner = spawn(
        process.execPath,
        [
          CLI,
          "--name",
          "n2",
          "--data-dir",
          join(cluster.root, "n2"),
          "--listen-client",
          `127.0.0.1:${clientPort}`,
          "--listen-peer",
          `127.0.0.1:${peerPort}`,
          "--listen-metrics",
          "",
          "--cluster-token",
          "auth",
          "--initial-cluster-state",
          "existing",
          "--join",
          cluster.endpoint(n1),
          "--log-format",
          "json",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      joiner.stdout!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
      joiner.stderr!.on("data", (b: Buffer) => (joinerOutput += b.toString()));
      const n2: ProcNode = { ...n1, name: "n2", clientPort, peerPort, proc: null };
      try {
        await waitFor(
          "n2 to install a snapshot",
          () => /"msg":"installed snapshot"/.test(joinerOutput),
          30_000,
          100,
        );
        await waitFor(
          "n2 to be promoted to a voting member",
          async () => {
            const list = await ctl(["member", "list"]);
            return /, started, n2, .*, false/.test(list.stdout);
          },
          30_000,
          200,
        );
        // The new member alone: the same users, roles and permissions.
        await waitFor(
          "n2 to serve alice",
          async () => (await ctl([...ALICE, "get", "/app/k", "--print-value-only"], n2)).stdout === "v2\n",
          15_000,
          200,
        );
        await expectAlicePermissions(n2, "v3");
        expect(await ok([...ROOT, "user", "list"], n2)).toBe("alice\nroot\n");
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- n2:\n${joinerOutput.slice(-4000)}`);
      }
    });
  });
});

describe.skipIf(version === undefined)("auth with JWT tokens (--auth-token jwt,…)", () => {
  let jwtCluster: ProcCluster;
  let keyDir: string;
  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), "raftkv-jwt-keys-"));
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(keyDir, "jwt.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(keyDir, "jwt.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    jwtCluster = await ProcCluster.start({
      size: 1,
      token: "auth-jwt",
      extraArgs: [
        "--auth-token",
        `jwt,pub-key=${join(keyDir, "jwt.pub")},priv-key=${join(keyDir, "jwt.pem")},sign-method=RS256,ttl=10m`,
      ],
    });
  });
  afterAll(async () => {
    await jwtCluster?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("etcdctl authenticates with a signed token", async () => {
    const endpoints = jwtCluster.endpoints();
    const run = async (args: string[]): Promise<Run> => etcdctl(endpoints, args);
    expect((await run(["user", "add", "root:rootpw"])).stdout).toBe("User root created\n");
    expect((await run(["auth", "enable"])).stdout).toBe("Authentication Enabled\n");
    expect((await run([...ROOT, "put", "k", "v"])).stdout).toBe("OK\n");
    expect((await run([...ROOT, "get", "k", "--print-value-only"])).stdout).toBe("v\n");
    expect((await run(["get", "k"])).stderr).toContain("etcdserver: user name is empty");
    expect((await run(["--user", "root:no", "get", "k"])).stderr).toContain("invalid user ID or password");
  });
});

describe("bad auth flags", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function raftkv(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    const dataDir = mkdtempSync(join(tmpdir(), "raftkv-auth-cli-"));
    dirs.push(dataDir);
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          CLI,
          "--data-dir",
          mkdtempSync(join(tmpdir(), "raftkv-auth-cli-")),
          "--listen-client",
          "127.0.0.1:0",
          ...args,
        ],
        { timeout: 20_000, env: { ...process.env, ...env } },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it("exit with code 2 naming the problem", async () => {
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [["--auth-token", "opaque"], {}, '--auth-token: unknown token type "opaque"'],
      [["--auth-token-ttl", "0"], {}, "--auth-token-ttl must be a positive whole number of seconds"],
      [[], { RAFTKV_AUTH_TOKEN_TTL: "soon" }, "--auth-token-ttl must be a positive whole number of seconds"],
      [["--auth-token", "jwt,pub-key=/x"], {}, "--auth-token jwt needs sign-method"],
    ];
    for (const [args, env, message] of cases) {
      const run = await raftkv(args, env);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });

  it("a JWT key file that cannot be read stops the start, naming it", async () => {
    const run = await raftkv(["--auth-token", "jwt,pub-key=/nonexistent/jwt.pub,sign-method=RS256"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("cannot read pub-key /nonexistent/jwt.pub");
  });
});
