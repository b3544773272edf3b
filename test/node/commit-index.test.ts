// The commit index is volatile (Raft keeps it so; DESIGN "The node", docs/divergence.md row 12):
// a Ready whose only change is a new commit index is not a log write of its own. It rides with
// a write still queued or with the next one. A restart takes the stored commit index or the
// store's applied index, whichever is higher, so nothing applied is lost. A snapshot, which the
// log store keeps at or below its commit index, first stores the core's commit index.

import { afterEach, describe, expect, it, vi } from "vitest";
import { LevelLogStore } from "../../src/storage/level-log-store.js";
import type { LogUpdate } from "../../src/storage/log-store.js";
import { waitFor } from "../cluster/harness.js";
import { OneMember } from "./one-member.js";

let member: OneMember | null = null;

afterEach(async () => {
  vi.restoreAllMocks();
  await member?.remove();
  member = null;
});

const PUTS = 30;

describe("the commit index", () => {
  it("is not written on its own, and a restart loses nothing applied", async () => {
    member = new OneMember();
    await member.start();
    const saves: LogUpdate[] = [];
    const save = LevelLogStore.prototype.save;
    vi.spyOn(LevelLogStore.prototype, "save").mockImplementation(function (this: LevelLogStore, u) {
      saves.push(u);
      return save.call(this, u);
    });
    for (let i = 0; i < PUTS; i++) await member.client!.put(`k${i}`, `v${i}`);
    // One member, one put at a time: each put is one entry, one write. Before, each put also
    // cost a write of the hard state alone once it committed (2 writes per put).
    expect(saves.length).toBeGreaterThanOrEqual(1);
    expect(saves.length).toBeLessThanOrEqual(PUTS);
    for (const u of saves) expect(u.entries.length).toBeGreaterThan(0);
    const stored = member.running!.node.status();
    vi.restoreAllMocks();

    await member.stop();
    await member.start();
    const { kvs } = await member.client!.get("k", { prefix: true });
    expect(kvs.length).toBe(PUTS);
    expect(member.running!.node.status().raftAppliedIndex).toBeGreaterThanOrEqual(stored.raftAppliedIndex);
  });

  it("is stored before a snapshot at an index it had not reached on disk", async () => {
    member = new OneMember();
    await member.start({ snapshotEntries: 10, snapshotCatchUpEntries: 2 });
    for (let i = 0; i < PUTS; i++) await member.client!.put(`k${i}`, `v${i}`);
    const snapshots = () => member!.logs.filter((r) => r.msg === "snapshot taken");
    await waitFor("2 snapshots", () => snapshots().length >= 2);
    expect(member.logs.filter((r) => /fatal/.test(String(r.msg)))).toEqual([]);
    await member.stop();
    await member.start();
    const { kvs } = await member.client!.get("k", { prefix: true });
    expect(kvs.length).toBe(PUTS);
  });
});
