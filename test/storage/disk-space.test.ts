// SpaceGate against a scripted database: what is held, what is written again, in which order, and
// what passes through. (test/storage/disk-full.test.ts runs it against LevelDB on a real tmpfs.)

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpaceGate } from "../../src/storage/disk-space.js";
import { isNoSpaceError, type SpaceStatus } from "../../src/storage/index.js";

const ENOSPC = () =>
  Object.assign(new Error("IO error: /x/000004.log: No space left on device"), { code: "LEVEL_IO_ERROR" });

/** A database whose writes are scripted: each call waits for the test to settle it. */
class ScriptedDb {
  status = "open";
  readonly calls: { ops: unknown; settle: (err?: Error) => void }[] = [];
  readonly applied: unknown[] = [];
  readonly events: string[] = [];
  _put(): Promise<void> {
    throw new Error("not used");
  }
  _del(): Promise<void> {
    throw new Error("not used");
  }
  _clear(): Promise<void> {
    throw new Error("not used");
  }
  _batch(ops: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        ops,
        settle: (err) => {
          if (err === undefined) {
            this.applied.push(ops);
            resolve();
          } else reject(err);
        },
      });
    });
  }
  async open(): Promise<void> {
    this.events.push("open");
    this.status = "open";
  }
  async close(): Promise<void> {
    this.events.push("close");
    this.status = "closed";
  }
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met within 5 s");
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("SpaceGate", () => {
  let dir: string;
  let db: ScriptedDb;
  let gate: SpaceGate;
  const states: SpaceStatus["state"][] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raftkv-gate-"));
    db = new ScriptedDb();
    gate = new SpaceGate(db as never, { dbDir: dir, retryMinMs: 5, retryMaxMs: 20, headroomBytes: 0 });
    states.length = 0;
    gate.onChange((s) => states.push(s.state));
  });

  afterEach(async () => {
    gate.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("tells ENOSPC and EDQUOT from other errors", () => {
    expect(isNoSpaceError(ENOSPC())).toBe(true);
    expect(isNoSpaceError(Object.assign(new Error("x"), { code: "EDQUOT" }))).toBe(true);
    expect(isNoSpaceError(new Error("wrapped", { cause: ENOSPC() }))).toBe(true);
    expect(isNoSpaceError(new Error("IO error: Input/output error"))).toBe(false);
  });

  it("holds the failed write and the later ones, reopens, then writes them again in order", async () => {
    const batch = (ops: unknown) => (db as unknown as { _batch(o: unknown): Promise<void> })._batch(ops);
    const first = batch("a");
    const second = batch("b"); // in flight when "a" fails: it may sit behind the broken record
    await until(() => db.calls.length === 2);
    const events: string[] = [];
    gate.aroundReopen(
      async () => {
        events.push("before");
      },
      async () => {
        events.push(`after:${db.status}`);
      },
    );
    db.calls[0]!.settle(ENOSPC());
    await until(() => gate.status.state === "full");
    db.calls[1]!.settle(); // succeeded, but after the failure was seen: written again later
    const third = batch("c"); // arrives while full: held
    // Reopened (the temp dir has room), then the held writes go again, in order.
    await until(() => db.calls.length === 5);
    expect(db.calls.slice(2).map((c) => c.ops)).toEqual(["a", "b", "c"]);
    expect(db.events).toEqual(["close", "open"]);
    expect(events).toEqual(["before", "after:open"]);
    expect(states).toEqual(["full", "ok"]);
    for (const c of db.calls.slice(2)) c.settle();
    await Promise.all([first, second, third]);
    expect(db.applied).toEqual(["b", "a", "b", "c"]);
    expect(gate.status.state).toBe("ok");
  });

  it("lets other errors through, and fails held writes when closed", async () => {
    const batch = (ops: unknown) => (db as unknown as { _batch(o: unknown): Promise<void> })._batch(ops);
    const broken = batch("x");
    await until(() => db.calls.length === 1);
    db.calls[0]!.settle(new Error("IO error: Input/output error"));
    await expect(broken).rejects.toThrow(/Input\/output error/);
    expect(gate.status.state).toBe("ok");

    // Full, and the store never comes back (the reopen keeps failing): close() ends the wait.
    db.open = async () => {
      throw ENOSPC();
    };
    const held = batch("y");
    await until(() => db.calls.length === 2);
    db.calls[1]!.settle(ENOSPC());
    await until(() => gate.status.attempts >= 2);
    gate.close();
    await expect(held).rejects.toThrow(/closed while waiting for disk space/);
  });
});
