// A member that stops (SIGTERM, or removed from the cluster) while it installs a snapshot from
// the leader. The install can take seconds (the key index is rebuilt from millions of keys);
// before, stop() waited 5 s for it, then the data dir closed under the running import and the
// node died "fatal: Iterator is not open", exiting 1. Now stop() asks the import to stop at its
// next batch: the member stops cleanly, and its next start finishes the install.
//
// Three members in this process. The follower's import is held (its snapshot stream waits on a
// gate) until its stop has asked imports to stop, so the stop always lands mid-install.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { KvStateMachine } from "../../src/kv/index.js";
import { DEFAULTS, type NodeConfig } from "../../src/node/config.js";
import { ID_SERIALIZERS } from "../../src/node/logger.js";
import { type RunningNode, startNode } from "../../src/node/server.js";
import { freePort, waitFor } from "../cluster/harness.js";
import type { LogRecord } from "./one-member.js";

const NAMES = ["n1", "n2", "n3"] as const;
const PUTS = 120;

interface Member {
  readonly config: NodeConfig;
  readonly logs: LogRecord[];
  running: RunningNode | null;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(m: Member): Promise<RunningNode> {
  const logger = pino(
    { level: "info", serializers: ID_SERIALIZERS },
    { write: (line: string) => void m.logs.push(JSON.parse(line) as LogRecord) },
  );
  m.running = await startNode(m.config, { logger, version: "test" });
  return m.running;
}

async function cluster(): Promise<Member[]> {
  const dir = mkdtempSync(join(tmpdir(), "raftkv-stop-install-"));
  const ports = await Promise.all(
    NAMES.map(async () => ({ client: await freePort(), peer: await freePort() })),
  );
  const peers = new Map(NAMES.map((n, i) => [n, `127.0.0.1:${ports[i]!.peer}`]));
  const members: Member[] = NAMES.map((name, i) => ({
    config: {
      ...DEFAULTS,
      name,
      dataDir: join(dir, name),
      listenClient: `127.0.0.1:${ports[i]!.client}`,
      listenPeer: `127.0.0.1:${ports[i]!.peer}`,
      listenMetrics: "",
      advertiseClient: `127.0.0.1:${ports[i]!.client}`,
      advertisePeer: `127.0.0.1:${ports[i]!.peer}`,
      peers,
      logLevel: "info",
      // Snapshots early and few entries kept behind them: a member that misses 120 writes
      // can only catch up by a snapshot.
      snapshotEntries: 20,
      snapshotCatchUpEntries: 5,
    },
    logs: [],
    running: null,
  }));
  cleanups.push(async () => {
    for (const m of members) await m.running?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all(members.map(start));
  return members;
}

const errorsIn = (m: Member) => m.logs.filter((r) => Number(r.level) >= 50);

describe("a member stopped while it installs a snapshot", () => {
  it("stops cleanly (no fatal), and its next start finishes the install", async () => {
    const members = await cluster();
    const leader = await waitFor("a leader", () =>
      members.find((m) => m.running?.node.raft.role === "leader"),
    );
    const follower = members.find((m) => m !== leader)!;
    const client = new EtcdClient([leader.config.listenClient], { timeoutMs: 10_000 });
    cleanups.push(async () => client.close());

    await follower.running!.close();
    follower.running = null;
    for (let i = 0; i < PUTS; i++) await client.put(`k${i}`, `v${i}`);

    // Hold the follower's import on its first chunk until its stop has asked imports to stop.
    let opened!: () => void;
    const importOpened = new Promise<void>((r) => {
      opened = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const importSnapshot = KvStateMachine.prototype.importSnapshot;
    vi.spyOn(KvStateMachine.prototype, "importSnapshot").mockImplementation(function (
      this: KvStateMachine,
      chunks,
      ...rest
    ) {
      async function* held(): AsyncGenerator<Uint8Array> {
        opened();
        await gate;
        yield* chunks;
      }
      return importSnapshot.call(this, held(), ...rest);
    });
    const stopImports = vi.spyOn(KvStateMachine.prototype, "stopImports");

    const running = await start(follower);
    await importOpened;
    const closing = running.close();
    await waitFor("the stop to ask imports to stop", () => stopImports.mock.calls.length > 0);
    release();
    await closing;
    follower.running = null;

    expect(follower.logs.some((r) => r.msg === "snapshot install stopped by the shutdown")).toBe(true);
    expect(follower.logs.some((r) => r.msg === "installed snapshot")).toBe(false);
    expect(errorsIn(follower)).toEqual([]);

    vi.restoreAllMocks();
    const again = await start(follower);
    const local = new EtcdClient([follower.config.listenClient], { timeoutMs: 10_000 });
    cleanups.push(async () => local.close());
    await waitFor(
      "the follower to hold every write",
      async () => (await local.get("k", { prefix: true, serializable: true })).kvs.length === PUTS,
    );
    expect(again.node.fatalError).toBeNull();
    expect(errorsIn(follower)).toEqual([]);
  });
});
