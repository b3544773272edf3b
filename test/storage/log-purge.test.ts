// The purge behind a compaction (LevelLogStore): entries at or below the new log start are deleted
// by LevelDB's range delete in its thread pool, after compact() has resolved, so a snapshot does
// not hold the node's loop for the tens of milliseconds that deleting ~10,000 entries takes; and
// each purge starts at the first entry not yet deleted, not at the first key (where LevelDB would
// walk over the tombstones of every earlier purge).

import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { ENTRY_KEY_MIN, entryKey, entryKeyIndex } from "../../src/storage/codec.js";
import { LevelLogStore, type RawLevel } from "../../src/storage/level-log-store.js";
import { ents, makeTempDir } from "./helpers.js";

interface ClearCall {
  readonly gte: Buffer;
  readonly lte: Buffer;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A LevelDB whose clear() calls are recorded; `hold()` holds the next ones until its release. */
async function recordedDb(): Promise<{ db: RawLevel; calls: ClearCall[]; hold: () => () => void }> {
  const temp = await makeTempDir("purge");
  const db: RawLevel = new Level<Buffer, Buffer>(temp.dir, {
    keyEncoding: "buffer",
    valueEncoding: "buffer",
  });
  await db.open();
  cleanups.push(async () => {
    await db.close();
    await temp.remove();
  });
  const calls: ClearCall[] = [];
  let gate = Promise.resolve();
  const clear = db.clear.bind(db);
  (db as { clear: unknown }).clear = async (o: ClearCall) => {
    calls.push(o);
    await gate;
    return clear(o);
  };
  const hold = (): (() => void) => {
    let release: () => void = () => {};
    gate = new Promise<void>((r) => {
      release = r;
    });
    return release;
  };
  return { db, calls, hold };
}

async function entryIndexes(db: RawLevel): Promise<number[]> {
  const keys = await db.keys({ gte: ENTRY_KEY_MIN, lte: entryKey(Number.MAX_SAFE_INTEGER) }).all();
  return keys.map(entryKeyIndex);
}

const hs = (term: number, commit: number) => ({ term, vote: 0, commit });
const meta = (index: number, term: number) => ({ index, term, confState: { voters: [1], learners: [] } });

describe("LevelLogStore purge", () => {
  it("compact() resolves before the entries are deleted; the purge then deletes exactly those", async () => {
    const { db, calls, hold } = await recordedDb();
    const store = await LevelLogStore.open(db, "test");
    await store.save({ hardState: hs(1, 100), entries: ents(1, 100, 1), snapshot: null });
    await store.recordSnapshot(meta(90, 1));
    const release = hold();
    await store.compact(80);
    expect(store.firstIndex()).toBe(81);
    expect(calls.length).toBe(1);
    expect((await entryIndexes(db)).length).toBe(100);
    // Log writes go on while the purge is held.
    await store.save({ hardState: hs(1, 101), entries: ents(101, 101, 1), snapshot: null });
    release();
    await store.purged();
    expect(await entryIndexes(db)).toEqual(ents(81, 101, 1).map((e) => e.index));
    const loaded = await store.load();
    expect([loaded.firstIndex, loaded.entries.length]).toEqual([81, 21]);
    await store.close();
  });

  it("each purge starts where the previous one ended", async () => {
    const { db, calls } = await recordedDb();
    const store = await LevelLogStore.open(db, "test");
    await store.purged();
    expect(calls.map((c) => c.gte.equals(ENTRY_KEY_MIN))).toEqual([]); // an empty log: nothing to purge
    await store.save({ hardState: hs(1, 300), entries: ents(1, 300, 1), snapshot: null });
    await store.recordSnapshot(meta(300, 1));
    await store.compact(100);
    await store.purged();
    await store.compact(250);
    await store.purged();
    expect(
      calls.map((c) => [c.gte.equals(ENTRY_KEY_MIN) ? "min" : entryKeyIndex(c.gte), entryKeyIndex(c.lte)]),
    ).toEqual([
      ["min", 100],
      [101, 250],
    ]);
    expect(await entryIndexes(db)).toEqual(ents(251, 300, 1).map((e) => e.index));
    await store.close();
  });

  it("close() waits for a purge in progress", async () => {
    const { db, hold } = await recordedDb();
    const store = await LevelLogStore.open(db, "test");
    await store.save({ hardState: hs(1, 50), entries: ents(1, 50, 1), snapshot: null });
    await store.recordSnapshot(meta(50, 1));
    const release = hold();
    await store.compact(40);
    let closed = false;
    const closing = store.close().then(() => {
      closed = true;
    });
    await store.load().catch(() => undefined); // a turn of the event loop and of LevelDB's pool
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await entryIndexes(db)).toEqual(ents(41, 50, 1).map((e) => e.index));
  });
});
