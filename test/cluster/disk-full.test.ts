// A member whose data dir is on a small tmpfs: past the backend quota (the NOSPACE alarm), then a
// really full disk (ENOSPC), then a restart on the full disk. The member stays up throughout,
// serves reads, gives space back with compact and defrag, takes writes again after disarm, and
// holds every acknowledged key. Needs root to mount the tmpfs (skipped otherwise, saying why).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cmp, type EtcdClient } from "../../src/client/index.js";
import { etcdctl, etcdctlVersion } from "./etcdctl-proc.js";
import { ProcCluster, type ProcNode, waitFor } from "./harness.js";

// Room above the quota for what lands between two size measurements (one a second) and for
// LevelDB compactions: a fast member writes several MiB past the quota before it is measured.
const TMPFS_BYTES = 64 * 1024 * 1024;
const QUOTA_BYTES = 3 * 1024 * 1024;
const VALUE_BYTES = 64 * 1024;

/** Why the tmpfs cannot be mounted here, or null when it can. */
function cannotMount(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (mounting a tmpfs needs root)";
  const dir = mkdtempSync(join(tmpdir(), "raftkv-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const skipReason = cannotMount();

function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}

/** Fills the file system holding `dir` with one file, to the last byte. */
function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const chunk of [Buffer.alloc(1024 * 1024, 1), Buffer.alloc(4096, 1), Buffer.alloc(512, 1)]) {
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Byte equality (vitest's toEqual walks a 64 KiB Buffer element by element: seconds per value). */
function same(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a !== undefined && b !== undefined && a.equals(b);
}

async function readyz(n: ProcNode): Promise<{ code: number; reason: string }> {
  const response = await fetch(`http://127.0.0.1:${n.metricsPort}/readyz`);
  const body = (await response.json()) as { reason?: string };
  return { code: response.status, reason: body.reason ?? "" };
}

describe.skipIf(skipReason !== null)(
  `a full disk${skipReason === null ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    let cluster: ProcCluster;
    let client: EtcdClient;
    let node: ProcNode;
    const mounted: string[] = [];
    /** Every acknowledged put not deleted since: key → value. */
    const acked = new Map<string, Buffer>();

    beforeAll(async () => {
      cluster = await ProcCluster.start({
        size: 1,
        extraArgs: ["--quota-backend-bytes", String(QUOTA_BYTES), "--request-timeout-ms", "3000"],
        prepare: (n) => {
          mkdirSync(n.dataDir, { recursive: true });
          execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES}`, "tmpfs", n.dataDir]);
          mounted.push(n.dataDir);
        },
      });
      node = cluster.nodes[0]!;
      client = cluster.client([node], 5000);
    }, 60_000);

    afterAll(async (context) => {
      if (context.tasks.some((t) => t.result?.state === "fail")) console.log(cluster?.tails(80));
      if (cluster !== undefined) for (const n of cluster.nodes) await cluster.kill(n);
      for (const dir of mounted) unmount(dir);
      await cluster?.stop();
    });

    const filler = (): string => join(node.dataDir, "filler");

    it("past the quota: NOSPACE alarm, reads and deletes still work", async () => {
      let refused: Error | null = null;
      for (let i = 0; i < 200 && refused === null; i++) {
        const key = `k${String(i).padStart(4, "0")}`;
        const value = randomBytes(VALUE_BYTES);
        try {
          await client.put(key, value);
          acked.set(key, value);
        } catch (err) {
          refused = err as Error;
        }
      }
      expect(refused?.message).toContain("etcdserver: mvcc: database space exceeded");
      expect(acked.size).toBeGreaterThan(10);
      const alarms = await waitFor("the NOSPACE alarm", async () => {
        const r = await client.alarms();
        return r.alarms.length > 0 ? r.alarms : null;
      });
      expect(alarms).toEqual([{ memberID: await cluster.memberId(node), alarm: "NOSPACE" }]);
      // The refusal may come from the estimate before a measurement (once a second) shows it.
      const status = await waitFor("Status to show the store past the quota", async () => {
        const st = await client.status();
        return Number(st.dbSize) > QUOTA_BYTES ? st : null;
      });
      expect(Number(status.dbSize)).toBeGreaterThan(QUOTA_BYTES);
      expect(Number(status.dbSizeQuota)).toBe(QUOTA_BYTES);
      // Reads and deletes work under the alarm.
      const [first] = acked.keys();
      expect(same((await client.get(first!)).kvs[0]?.value, acked.get(first!))).toBe(true);
      expect((await client.delete(first!)).deleted).toBe(1);
      acked.delete(first!);
    }, 120_000);

    it("a really full disk: the member stays up, serves serializable reads, refuses writes clearly", async () => {
      fillDisk(filler());
      // The next write cannot be persisted: it is held (its outcome is not known to the client). A
      // txn without puts passes the quota; its large compare value makes a log entry no slack in
      // the last page of LevelDB's log file can hold.
      const held = client.txn({ compare: [cmp.value("absent", "=", randomBytes(512 * 1024))] }).then(
        () => "done",
        (err: Error) => err.message,
      );
      const state = await waitFor("/readyz to report the full disk", async () => {
        const r = await readyz(node);
        return r.code === 503 && /no space left on device/.test(r.reason) ? r : null;
      });
      expect(state.reason).toContain(node.dataDir);
      // New writes fail at once with a clear error; serializable reads are served from memory.
      await expect(client.delete("k0150")).rejects.toThrow(/no space left on device/);
      const [key, value] = [...acked.entries()][0]!;
      expect(same((await client.get(key, { serializable: true })).kvs[0]?.value, value)).toBe(true);
      const status = await client.status();
      expect(status.errors.join(" ")).toMatch(/no space left on device/);
      expect(node.proc).not.toBeNull();
      // The held write fails by timeout, it is not acknowledged while nothing is persisted.
      expect(await held).not.toBe("done");
    }, 60_000);

    it("restarted on the full disk, it comes up, says so on /readyz and keeps trying", async () => {
      await cluster.kill(node);
      cluster.spawn(node);
      const state = await waitFor(
        "/readyz to report retries on the full disk",
        async () => {
          const r = await readyz(node);
          return r.code === 503 && /no space left on device/.test(r.reason) && /attempt [2-9]/.test(r.reason)
            ? r
            : null;
        },
        30_000,
        100,
      );
      expect(state.reason).toContain(node.dataDir);
      expect(node.output).toMatch(/no space left on device/);
      expect(node.proc).not.toBeNull();
      expect(node.exitCode).toBeNull();

      // Space comes back: it starts (or resumes) without help.
      unlinkSync(filler());
      await waitFor("the member ready again", async () => (await readyz(node)).code === 200, 30_000, 100);
      for (const [k, v] of acked) expect(same((await client.get(k)).kvs[0]?.value, v), k).toBe(true);
    }, 90_000);

    it("compact and defrag give the space back; writes resume after disarm", async () => {
      const keys = [...acked.keys()];
      for (const k of keys.slice(0, keys.length - 5)) {
        expect((await client.delete(k)).deleted).toBe(1);
        acked.delete(k);
      }
      const revision = Number((await client.status()).header?.revision);
      await client.compact(revision, { physical: true });
      const defrag = await client.defragment();
      const before = Number(defrag.dbSizeBefore);
      const after = Number(defrag.dbSizeAfter);
      expect(after).toBeLessThan(before);
      expect(after).toBeLessThan(QUOTA_BYTES);
      await waitFor(
        "Status to show the smaller store",
        async () => Number((await client.status()).dbSize) < QUOTA_BYTES,
      );
      expect(node.output).toMatch(/"msg":"defragmented"/);

      // Still refused until the alarm is disarmed, as in etcd.
      await expect(client.put("after", "x")).rejects.toThrow(/database space exceeded/);
      if (etcdctlVersion() !== undefined) {
        const disarm = await etcdctl([cluster.endpoint(node)], ["alarm", "disarm"]);
        expect(disarm.code, disarm.stderr).toBe(0);
      } else {
        await client.alarm("DEACTIVATE", await cluster.memberId(node), "NOSPACE");
      }
      await client.put("after", "x");
      acked.set("after", Buffer.from("x"));

      // Every acknowledged key is there, after a restart too.
      await cluster.kill(node);
      cluster.spawn(node);
      await cluster.waitForLeader();
      for (const [k, v] of acked) expect(same((await client.get(k)).kvs[0]?.value, v), k).toBe(true);
    }, 120_000);
  },
);

describe.skipIf(skipReason !== null)(
  `a full disk under the leader of three${skipReason === null ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    let cluster: ProcCluster;
    const mounted: string[] = [];

    beforeAll(async () => {
      cluster = await ProcCluster.start({
        size: 3,
        extraArgs: ["--request-timeout-ms", "3000"],
        prepare: (n) => {
          mkdirSync(n.dataDir, { recursive: true });
          execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES}`, "tmpfs", n.dataDir]);
          mounted.push(n.dataDir);
        },
      });
    }, 60_000);

    afterAll(async (suite) => {
      if (suite.tasks.some((t) => t.result?.state === "fail")) console.log(cluster?.tails(40));
      if (cluster !== undefined) for (const n of cluster.nodes) await cluster.kill(n);
      for (const dir of mounted) unmount(dir);
      await cluster?.stop();
    });

    it("the leader that cannot write leaves leadership; the others go on; it catches up once space is back", async () => {
      const leader = await cluster.waitForLeader();
      const others = cluster.nodes.filter((n) => n !== leader);
      const onOthers = cluster.client(others, 5000);
      const onLeader = cluster.client([leader], 5000);
      const acked = new Map<string, string>();
      for (let i = 0; i < 20; i++) {
        await onOthers.put(`before/${i}`, `v${i}`);
        acked.set(`before/${i}`, `v${i}`);
      }
      const oldLeaderId = await cluster.memberId(leader);

      fillDisk(join(leader.dataDir, "filler"));
      // A write the full leader must persist first: held, never acknowledged while it is full.
      const held = onLeader.put("held", randomBytes(256 * 1024)).then(
        () => "done",
        (err: Error) => err.message,
      );
      await waitFor(
        "another member to lead",
        async () => {
          const s = await onOthers.status();
          return Number(s.leader) !== 0 && Number(s.leader) !== oldLeaderId;
        },
        20_000,
        100,
      );
      expect(await held).not.toBe("done");
      for (let i = 0; i < 20; i++) {
        await onOthers.put(`during/${i}`, `v${i}`);
        acked.set(`during/${i}`, `v${i}`);
      }
      // The full member: not ready, refuses writes at once, serves serializable reads.
      const state = await readyz(leader);
      expect(state.code).toBe(503);
      expect(state.reason).toMatch(/no space left on device/);
      await expect(onLeader.put("x", "y")).rejects.toThrow(/no space left on device/);
      expect((await onLeader.get("before/3", { serializable: true })).kvs[0]?.value.toString()).toBe("v3");
      expect(leader.proc).not.toBeNull();

      unlinkSync(join(leader.dataDir, "filler"));
      await waitFor(
        "the full member ready again",
        async () => (await readyz(leader)).code === 200,
        30_000,
        100,
      );
      // It catches up: the same store on every member, every acknowledged key on it.
      await waitFor(
        "every member at the same revision and hash",
        async () => {
          const hashes = await Promise.all(cluster.nodes.map((n) => onOthers.hashKV(0, cluster.endpoint(n))));
          const revisions = new Set(hashes.map((h) => Number(h.hashRevision)));
          return revisions.size === 1 && new Set(hashes.map((h) => h.hash)).size === 1;
        },
        30_000,
        200,
      );
      for (const [k, v] of acked) {
        expect((await onLeader.get(k, { serializable: true })).kvs[0]?.value.toString(), k).toBe(v);
      }
      await onLeader.put("after", "yes");
    }, 120_000);
  },
);
