// Defragment (src/node/disk.ts) takes a snapshot, which drops the Raft log behind it, then compacts
// the whole store. The log's entries are deleted in the background (a range delete, after compact()
// has resolved): Defragment must wait for that delete before it compacts, or the compaction runs
// beside it and the log it was meant to free stays on disk. CI caught this once on a slow machine:
// the store came out of Defragment a little larger than it went in.

import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { KvStateMachine } from "../../src/kv/index.js";
import { watchDisk } from "../../src/node/disk.js";
import { silentLogger } from "../../src/node/logger.js";
import type { RaftKvNode } from "../../src/node/node.js";
import type { Entry } from "../../src/raft/types.js";
import { openDataDir } from "../../src/storage/index.js";
import { makeTempDir } from "../storage/helpers.js";

const ID = { name: "n1", clusterId: 1, memberId: 1 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `n` entries of `bytes` incompressible-looking bytes each. */
function bigEntries(n: number, bytes: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 1; i <= n; i++) {
    const data = Buffer.alloc(bytes);
    for (let j = 0; j < bytes; j += 4) data.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
    out.push({ index: i, term: 1, type: "normal", data });
  }
  return out;
}

describe("Defragment", () => {
  it("waits for the log purge behind its snapshot before compacting; the store shrinks", async () => {
    const temp = await makeTempDir("defrag");
    cleanups.push(temp.remove);
    const dataDir = await openDataDir(join(temp.dir, "data"), { ...ID, create: true });
    cleanups.push(() => dataDir.close());
    const raftLog = dataDir.raftLog;
    const N = 300;
    await raftLog.save({
      hardState: { term: 1, vote: 1, commit: N },
      entries: bigEntries(N, 8192),
      snapshot: null,
    });
    const db = dataDir.db as unknown as {
      clear(o: unknown): Promise<void>;
      compactRange(a: Buffer, b: Buffer): Promise<void>;
    };
    // The entries into tables, as a member's older log is: LevelDB's CompactRange only rewrites the
    // levels above the deepest one holding the range, so entries and their deletions that share
    // one freshly flushed table would stay in it.
    await db.compactRange(Buffer.of(0), Buffer.alloc(32, 0xff));

    // The range delete is held until the next turn of the event loop after it starts, and the
    // compaction notes whether the delete had finished when it was called.
    const clear = db.clear.bind(db);
    const compactRange = db.compactRange.bind(db);
    let clears = 0;
    let clearsDone = 0;
    const compactions: number[] = [];
    db.clear = async (o) => {
      clears++;
      await new Promise((r) => setImmediate(r));
      await clear(o);
      clearsDone++;
    };
    db.compactRange = (a, b) => {
      compactions.push(clearsDone);
      return compactRange(a, b);
    };

    // The node's side of Defragment: a snapshot at the last entry and the log dropped behind it.
    const node = {
      addHooks: () => undefined,
      stepDown: () => undefined,
      snapshotNow: async () => {
        await raftLog.recordSnapshot({ index: N, term: 1, confState: { voters: [1], learners: [] } });
        await raftLog.compact(N);
        return raftLog.firstIndex();
      },
    } as unknown as RaftKvNode;
    const kv = { resumeBackground: async () => undefined } as unknown as KvStateMachine;
    const disk = watchDisk(node, dataDir, kv, silentLogger(), 64 * 1024 * 1024);
    cleanups.push(async () => disk.stop());

    const sizes = await disk.defragment();
    expect(clears).toBe(1);
    expect(compactions).toEqual([1]);
    // About 2.4 MiB of log went; what is left is the identity, the hard state and the snapshot record.
    expect(sizes.dbSizeBefore).toBeGreaterThan(N * 8192);
    expect(sizes.dbSizeAfter).toBeLessThan(sizes.dbSizeBefore / 10);
  });
});
