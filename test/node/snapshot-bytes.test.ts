// The in-memory Raft log is bounded by bytes as well as by entry count (DESIGN "Limits and bad
// input"): a member takes a snapshot once snapshotBytes of entry data were applied, however far
// snapshotEntries is, and keeps behind a snapshot only as many entries as fit in
// snapshotCatchUpBytes, however many snapshotCatchUpEntries would keep. One in-process member,
// its "snapshot taken" log lines read as they are written (index, firstIndex).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { EtcdClient } from "../../src/client/index.js";
import { DEFAULTS, type NodeConfig } from "../../src/node/config.js";
import { ID_SERIALIZERS } from "../../src/node/logger.js";
import { type RunningNode, startNode } from "../../src/node/server.js";
import { waitFor } from "../cluster/harness.js";

const KIB = 1024;
/** Each put is one entry of a little more than this many bytes of data (the value, key, framing). */
const VALUE_BYTES = 8000;

interface SnapshotTaken {
  readonly index: number;
  readonly firstIndex: number;
}

let running: RunningNode | null = null;
let client: EtcdClient | null = null;
let dir: string | null = null;

afterEach(async () => {
  client?.close();
  await running?.close();
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  running = null;
  client = null;
  dir = null;
});

/** One member alone, with these snapshot limits; returns the snapshots it logs as it takes them. */
async function start(limits: Partial<NodeConfig>): Promise<SnapshotTaken[]> {
  dir = mkdtempSync(join(tmpdir(), "raftkv-snapshot-bytes-"));
  const taken: SnapshotTaken[] = [];
  const logger = pino(
    { level: "info", serializers: ID_SERIALIZERS },
    {
      write(line: string): void {
        const rec = JSON.parse(line) as { msg?: string; index?: number; firstIndex?: number };
        if (rec.msg === "snapshot taken") taken.push({ index: rec.index!, firstIndex: rec.firstIndex! });
      },
    },
  );
  const config: NodeConfig = {
    ...DEFAULTS,
    name: "n1",
    dataDir: join(dir, "n1"),
    listenClient: "127.0.0.1:0",
    listenPeer: "127.0.0.1:0",
    listenMetrics: "",
    advertiseClient: "127.0.0.1:0",
    advertisePeer: "127.0.0.1:0",
    peers: new Map([["n1", "127.0.0.1:0"]]),
    logLevel: "info",
    ...limits,
  };
  running = await startNode(config, { logger, version: "test" });
  client = new EtcdClient([`127.0.0.1:${running.clientPort}`], { timeoutMs: 10_000 });
  await waitFor("a leader", () => running!.node.raft.role === "leader");
  return taken;
}

/** `count` puts of VALUE_BYTES each, one after the other (each applied before the next). */
async function putMany(count: number): Promise<void> {
  const value = "v".repeat(VALUE_BYTES);
  for (let i = 0; i < count; i++) await client!.put(`k/${String(i).padStart(4, "0")}`, value);
}

describe("snapshots bounded by bytes", () => {
  it("takes a snapshot once snapshotBytes of entries were applied, long before snapshotEntries", async () => {
    const snapshotBytes = 64 * KIB;
    const taken = await start({
      snapshotEntries: 1_000_000,
      snapshotCatchUpEntries: 2,
      snapshotBytes,
    });
    await putMany(40); // ~320 KB: 4 snapshots at least
    await waitFor("4 snapshots", () => taken.length >= 4);
    const indexes = taken.map((t) => t.index);
    // Each snapshot compacts the log behind it, keeping snapshotCatchUpEntries (2) entries.
    for (const t of taken) expect(t.firstIndex).toBe(t.index - 1);
    // Between two snapshots, as many puts as it takes to pass 64 KiB: 9 of ~8 KB (8 at most
    // 8 KiB each, 10 when one more slipped in before the loop's turn), not a million entries.
    for (let i = 1; i < indexes.length; i++) {
      const gap = indexes[i]! - indexes[i - 1]!;
      expect(gap, `snapshots at ${indexes.join(", ")}`).toBeGreaterThanOrEqual(
        Math.floor(snapshotBytes / (8 * KIB)),
      );
      expect(gap, `snapshots at ${indexes.join(", ")}`).toBeLessThanOrEqual(
        Math.ceil(snapshotBytes / VALUE_BYTES) + 1,
      );
    }
  });

  it("keeps behind a snapshot only the entries that fit in snapshotCatchUpBytes", async () => {
    const snapshotCatchUpBytes = 64 * KIB;
    const taken = await start({
      snapshotEntries: 20,
      snapshotCatchUpEntries: 5000,
      snapshotCatchUpBytes,
    });
    await putMany(50);
    await waitFor("2 snapshots", () => taken.length >= 2);
    for (const t of taken) {
      // The log keeps [firstIndex, index] behind the snapshot at index.
      const retained = t.index - t.firstIndex + 1;
      const at = `snapshot at ${t.index}, first index ${t.firstIndex}`;
      // The count limit alone would keep all of them (5000 > index): the log would still start at 1.
      expect(t.firstIndex, at).toBeGreaterThan(1);
      // Entries of more than VALUE_BYTES: at most 8 fit in 64 KiB; as many as fit are kept.
      expect(retained * VALUE_BYTES, at).toBeLessThanOrEqual(snapshotCatchUpBytes);
      expect(retained, at).toBeGreaterThanOrEqual(Math.floor(snapshotCatchUpBytes / (8 * KIB)) - 1);
    }
  });

  it("keeps no entry behind a snapshot with snapshotCatchUpBytes 0", async () => {
    const taken = await start({ snapshotEntries: 10, snapshotCatchUpBytes: 0 });
    await putMany(12);
    await waitFor("a snapshot", () => taken.length >= 1);
    expect(taken[0]!.firstIndex).toBe(taken[0]!.index + 1);
  });
});
