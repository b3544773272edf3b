// A node's data dir gone wrong: another member's or another cluster's data dir (exit code 3), and
// bytes flipped in a LevelDB file (refuses to start, naming the file, exit code 4). The other two
// members keep serving meanwhile and lose nothing.

import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProcCluster, type ProcNode } from "./harness.js";

let cluster: ProcCluster;
let victim: ProcNode;
const written = new Map<string, string>();

beforeAll(async () => {
  cluster = await ProcCluster.start({ size: 3 });
  const leader = await cluster.waitForLeader();
  victim = cluster.nodes.find((n) => n !== leader)!;
});

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((ctx) => {
  ctx.onTestFailed(() => console.log(cluster?.tails()));
});

async function writeBatch(prefix: string, count: number): Promise<void> {
  const c = cluster.client();
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${prefix}/${String(i).padStart(4, "0")}`;
    const value = `${prefix}-value-${i}-${"x".repeat(100)}`;
    puts.push(c.put(key, value).then(() => written.set(key, value)));
  }
  await Promise.all(puts);
}

/** Every key written so far is served, with its value, by the members still running. */
async function expectNothingLost(): Promise<void> {
  const live = cluster.nodes.filter((n) => n.proc !== null);
  for (const n of live) {
    const res = await cluster.client([n], 10_000).get("dd/", { prefix: true });
    const got = new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
    const lost = [...written].filter(([k, v]) => got.get(k) !== v).map(([k]) => k);
    expect(lost, `keys lost on ${n.name}`).toEqual([]);
  }
}

/** Stops the victim cleanly (SIGTERM) and waits for its exit. */
async function stopVictim(): Promise<void> {
  victim.proc!.kill("SIGTERM");
  expect(await cluster.waitForExit(victim, 15_000)).toBe(0);
}

/** Starts the victim with `extra` flags and waits for it to exit; returns its code and output. */
async function startExpectingExit(
  extra: readonly string[] = [],
): Promise<{ code: number | null; output: string }> {
  const before = victim.output.length;
  cluster.spawn(victim, extra);
  const code = await cluster.waitForExit(victim, 15_000);
  return { code, output: victim.output.slice(before) };
}

/** Flips bytes in the middle of the largest file of the victim's LevelDB matching `pattern`. */
function flipBytes(pattern: RegExp): string {
  const db = join(victim.dataDir, "db");
  const files = readdirSync(db)
    .filter((f) => pattern.test(f))
    .map((f) => ({ f, size: statSync(join(db, f)).size }))
    .sort((a, b) => b.size - a.size);
  const target = files[0];
  if (target === undefined || target.size < 1024) {
    throw new Error(`no ${pattern} file worth corrupting in ${db}: ${readdirSync(db).join(", ")}`);
  }
  const path = join(db, target.f);
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.length / 2);
  for (let i = at; i < at + 16; i++) bytes[i] = bytes[i]! ^ 0x5a;
  writeFileSync(path, bytes);
  return target.f;
}

describe("a data dir gone wrong", () => {
  it("another member's data dir, or another cluster's: refuses to start with exit code 3", async () => {
    await writeBatch("dd/a", 200);
    await stopVictim();
    const other = cluster.nodes.find((n) => n !== victim)!;

    const asOther = await startExpectingExit(["--name", other.name]);
    expect(asOther.code).toBe(3);
    expect(asOther.output).toContain(
      `data dir ${victim.dataDir} belongs to member name "${victim.name}", not "${other.name}"`,
    );

    // The data dir records the token it was created with: another one is refused, naming both.
    const otherCluster = await startExpectingExit(["--cluster-token", "some-other-cluster"]);
    expect(otherCluster.code).toBe(3);
    expect(otherCluster.output).toContain(
      `--cluster-token "some-other-cluster" contradicts data dir ${victim.dataDir}, created with --cluster-token "test"`,
    );

    // The others served meanwhile; the victim, started right, rejoins with everything.
    await writeBatch("dd/b", 200);
    cluster.spawn(victim);
    await cluster.waitForLeader();
    await expectNothingLost();
  });

  it.each([
    ["the write-ahead log (.log)", /^\d+\.log$/],
    ["a table (.ldb)", /^\d+\.(ldb|sst)$/],
  ])(
    "bytes flipped in %s: refuses to start naming the file, exit code 4; nothing lost",
    async (_what, pattern) => {
      await writeBatch(`dd/${pattern.source.includes("log") ? "c" : "d"}`, 300);
      if (pattern.source.includes("ldb")) {
        // LevelDB turns the recovered log into a table at open: restart once so a table exists.
        await stopVictim();
        cluster.spawn(victim);
        await cluster.waitForLeader();
        await writeBatch("dd/e", 300);
      }
      await stopVictim();
      const backup = `${victim.dataDir}.backup`;
      cpSync(victim.dataDir, backup, { recursive: true });
      try {
        const file = flipBytes(pattern);
        const run = await startExpectingExit();
        expect(run.code, run.output).toBe(4);
        expect(run.output).toContain("raftkv: cannot start: corrupt store");
        expect(run.output).toContain(file);
        console.log(`refused: ${run.output.split("\n").find((l) => l.startsWith("raftkv: cannot start"))}`);

        // The other two keep serving and lose nothing.
        await writeBatch(`dd/f${file}`, 100);
        await expectNothingLost();
      } finally {
        rmSync(victim.dataDir, { recursive: true, force: true });
        cpSync(backup, victim.dataDir, { recursive: true });
        rmSync(backup, { recursive: true, force: true });
      }
      // Its intact data dir back, the victim rejoins.
      cluster.spawn(victim);
      await cluster.waitForLeader();
      await expectNothingLost();
    },
  );
});
