// Disaster recovery, as etcd's: a snapshot saved from a running 3-member cluster under writes,
// checked with `raftkv snapshot status`, restored with `raftkv snapshot restore` into the data dirs
// of a new 3-member cluster, which then holds every key and revision of the snapshot and the same
// HashKV at the snapshot's revision. Real processes.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EtcdClient } from "../../src/client/index.js";
import { SNAPSHOT_VERSION } from "../../src/kv/snapshot-format.js";
import { CLI, ProcCluster } from "./harness.js";

interface Status {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
  version: number;
}

function raftkv(args: readonly string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
}

describe("backup and restore (raftkv snapshot status / restore)", () => {
  let source: ProcCluster;
  let restored: ProcCluster | undefined;
  let client: EtcdClient;

  beforeAll(async () => {
    source = await ProcCluster.start({ size: 3, token: "source" });
    client = source.client();
  }, 60_000);

  afterAll(async () => {
    await restored?.stop();
    await source?.stop();
  });

  it("a snapshot taken under writes restores into a new cluster with every key and revision", async () => {
    // Writes run all along: before, during and after the snapshot.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await client.put(`key/${i % 150}`, `value-${i}`);
        if (i % 7 === 0) await client.delete(`key/${(i * 13) % 150}`);
        written++;
      }
    })();
    while (written < 200) await new Promise((r) => setImmediate(r));
    const file = join(source.root, "backup.snap");
    const chunks: Buffer[] = [];
    for await (const chunk of client.snapshot()) chunks.push(chunk);
    writeFileSync(file, Buffer.concat(chunks));
    const afterSnapshot = written;
    while (written < afterSnapshot + 100) await new Promise((r) => setImmediate(r));
    writing = false;
    await writer;

    const status = JSON.parse(raftkv(["snapshot", "status", file, "-w", "json"])) as Status;
    expect(status.revision).toBeGreaterThan(200);
    expect(status.totalKey).toBeGreaterThan(0);
    expect(status.version).toBe(SNAPSHOT_VERSION);
    expect(status.totalSize % 512).toBe(32);
    const table = raftkv(["snapshot", "status", file]);
    expect(table).toContain("REVISION");
    expect(table).toContain(String(status.revision));

    // The source at the snapshot's revision (it has moved on since): what the restore must hold.
    const atSnapshot = await client.get("", { fromKey: true, revision: status.revision });
    expect(atSnapshot.kvs.length).toBe(status.totalKey);

    restored = await ProcCluster.start({
      size: 3,
      token: "restored",
      prepare: (n, peers) => {
        const out = raftkv([
          "snapshot",
          "restore",
          file,
          "--name",
          n.name,
          "--peers",
          peers,
          "--data-dir",
          n.dataDir,
          "--cluster-token",
          "restored",
        ]);
        expect(out).toContain(`restored revision ${status.revision}`);
      },
    });
    const restoredClient = restored.client();
    const sourceId = (await client.status()).header?.clusterId;
    expect((await restoredClient.status()).header?.clusterId).not.toBe(sourceId);
    // Every member holds the snapshot's state: the same hash at the same revision.
    for (const n of restored.nodes) {
      const hash = await restoredClient.hashKV(0, restored.endpoint(n));
      expect(Number(hash.hashRevision), n.name).toBe(status.revision);
      expect(hash.hash, n.name).toBe(status.hash);
    }
    const now = await restoredClient.get("", { fromKey: true });
    expect(now.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.modRevision, kv.version])).toEqual(
      atSnapshot.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.modRevision, kv.version]),
    );
    // History came along: an older revision reads as on the source.
    const older = status.revision - 50;
    const sourceOld = await client.get("", { fromKey: true, revision: older });
    const restoredOld = await restoredClient.get("", { fromKey: true, revision: older });
    expect(restoredOld.kvs.map((kv) => kv.value.toString())).toEqual(
      sourceOld.kvs.map((kv) => kv.value.toString()),
    );
    // The new cluster takes writes, from the snapshot's revision on.
    const put = await restoredClient.put("after-restore", "yes");
    expect(Number(put.header?.revision)).toBe(status.revision + 1);
    const members = await restoredClient.memberList();
    expect(members.members.map((m) => m.name).sort()).toEqual(["n1", "n2", "n3"]);
  }, 120_000);

  it("refuses a damaged file and an existing data dir, saying why", async () => {
    const file = join(source.root, "backup.snap");
    const bad = join(source.root, "bad.snap");
    const bytes = readFileSync(file);
    bytes[100] = (bytes[100]! + 1) % 256;
    writeFileSync(bad, bytes);
    expect(() => raftkv(["snapshot", "status", bad])).toThrow(/SHA-256 mismatch/);
    expect(() =>
      raftkv([
        "snapshot",
        "restore",
        file,
        "--name",
        "n1",
        "--peers",
        "n1=127.0.0.1:1",
        "--data-dir",
        source.nodes[0]!.dataDir,
      ]),
    ).toThrow(/already holds a store/);
  }, 30_000);
});
