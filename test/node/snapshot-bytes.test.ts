// The in-memory Raft log is bounded by bytes as well as by entry count (DESIGN "Limits and bad
// input"): a member takes a snapshot once snapshotBytes of entry data were applied, however far
// snapshotEntries is, and keeps behind a snapshot only as many entries as fit in
// snapshotCatchUpBytes, however many snapshotCatchUpEntries would keep. One in-process member,
// its "snapshot taken" log lines read as they are written (index, firstIndex).

import { afterEach, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../src/node/config.js";
import { waitFor } from "../cluster/harness.js";
import { OneMember } from "./one-member.js";

const KIB = 1024;
/** Each put is one entry of a little more than this many bytes of data (the value, key, framing). */
const VALUE_BYTES = 8000;

interface SnapshotTaken {
  readonly index: number;
  readonly firstIndex: number;
}

let member: OneMember | null = null;

afterEach(async () => {
  await member?.remove();
  member = null;
});

/** One member alone, with these snapshot limits. */
async function start(limits: Partial<NodeConfig>): Promise<void> {
  member = new OneMember();
  await member.start(limits);
}

/** The snapshots the member logged so far, as it took them. */
function taken(): SnapshotTaken[] {
  return member!.logs
    .filter((r) => r.msg === "snapshot taken")
    .map((r) => ({ index: r.index as number, firstIndex: r.firstIndex as number }));
}

/** `count` puts of VALUE_BYTES each, one after the other (each applied before the next). */
async function putMany(count: number): Promise<void> {
  const value = "v".repeat(VALUE_BYTES);
  for (let i = 0; i < count; i++) await member!.client!.put(`k/${String(i).padStart(4, "0")}`, value);
}

describe("snapshots bounded by bytes", () => {
  it("takes a snapshot once snapshotBytes of entries were applied, long before snapshotEntries", async () => {
    const snapshotBytes = 64 * KIB;
    await start({
      snapshotEntries: 1_000_000,
      snapshotCatchUpEntries: 2,
      snapshotBytes,
    });
    await putMany(40); // ~320 KB: 4 snapshots at least
    await waitFor("4 snapshots", () => taken().length >= 4);
    const indexes = taken().map((t) => t.index);
    // Each snapshot compacts the log behind it, keeping snapshotCatchUpEntries (2) entries.
    for (const t of taken()) expect(t.firstIndex).toBe(t.index - 1);
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
    await start({
      snapshotEntries: 20,
      snapshotCatchUpEntries: 5000,
      snapshotCatchUpBytes,
    });
    await putMany(50);
    await waitFor("2 snapshots", () => taken().length >= 2);
    for (const t of taken()) {
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
    await start({ snapshotEntries: 10, snapshotCatchUpBytes: 0 });
    await putMany(12);
    await waitFor("a snapshot", () => taken().length >= 1);
    expect(taken()[0]!.firstIndex).toBe(taken()[0]!.index + 1);
  });
});
