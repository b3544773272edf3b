// One conformance suite for every LogStore implementation (memory and LevelDB): the same claims,
// the same expected answers. `reopen` models a restart: everything saved must come back.

import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RaftError } from "../../src/raft/errors.js";
import { MemoryStorage } from "../../src/raft/storage.js";
import {
  type ConfState,
  EMPTY_HARD_STATE,
  type Entry,
  type HardState,
  type SnapshotMeta,
} from "../../src/raft/types.js";
import { type LogStore, restoreMemoryStorage } from "../../src/storage/index.js";
import { ents, payload, plain } from "./helpers.js";

export interface LogStoreHarness {
  /** Open the store on this harness's medium (empty the first time). */
  open(): Promise<LogStore>;
  /** Close `store` and open the same medium again. */
  reopen(store: LogStore): Promise<LogStore>;
  /** Close `store` (and whatever holds it open). */
  close(store: LogStore): Promise<void>;
  dispose(): Promise<void>;
}

const CONF: ConfState = { voters: [1, 2, 3], learners: [4] };
const hs = (term: number, commit: number, vote = 1): HardState => ({ term, vote, commit });
const meta = (index: number, term: number, confState: ConfState = CONF): SnapshotMeta => ({
  index,
  term,
  confState,
});

/** What a restarted node sees: the MemoryStorage rebuilt from the store. */
async function restored(store: LogStore): Promise<MemoryStorage> {
  return restoreMemoryStorage(await store.load());
}

/** The observable state of a MemoryStorage (what the core reads). */
function observe(ms: MemoryStorage) {
  const first = ms.firstIndex();
  const last = ms.lastIndex();
  const terms: number[] = [];
  for (let i = first - 1; i <= last; i++) terms.push(ms.term(i));
  return {
    firstIndex: first,
    lastIndex: last,
    terms,
    entries: last >= first ? plain(ms.entries(first, last + 1, Number.POSITIVE_INFINITY)) : [],
    snapshotMeta: ms.snapshot().meta,
    initialState: ms.initialState(),
  };
}

export function describeLogStoreConformance(name: string, makeHarness: () => Promise<LogStoreHarness>): void {
  describe(`LogStore conformance: ${name}`, () => {
    let harness: LogStoreHarness;
    let store: LogStore;

    beforeEach(async () => {
      harness = await makeHarness();
      store = await harness.open();
    });

    afterEach(async () => {
      await harness.close(store).catch(() => {});
      await harness.dispose();
    });

    it("starts empty", async () => {
      const loaded = await store.load();
      expect(loaded).toEqual({
        hardState: EMPTY_HARD_STATE,
        snapshotMeta: null,
        firstIndex: 1,
        compactedTerm: 0,
        entries: [],
      });
      expect([store.firstIndex(), store.lastIndex()]).toEqual([1, 0]);
      const ms = restoreMemoryStorage(loaded);
      expect([ms.firstIndex(), ms.lastIndex(), ms.term(0)]).toEqual([1, 0, 0]);
    });

    it("appends entries and the hard state, and keeps them across a reopen", async () => {
      await store.save({ hardState: hs(1, 0), entries: ents(1, 5, 1), snapshot: null });
      await store.save({
        hardState: hs(2, 5),
        entries: [...ents(6, 7, 1), ...ents(8, 10, 2)],
        snapshot: null,
      });
      expect(store.lastIndex()).toBe(10);
      store = await harness.reopen(store);
      expect([store.firstIndex(), store.lastIndex()]).toEqual([1, 10]);
      const loaded = await store.load();
      expect(loaded.hardState).toEqual(hs(2, 5));
      expect(plain(loaded.entries)).toEqual(plain([...ents(1, 7, 1), ...ents(8, 10, 2)]));
    });

    it("answers load() with what was saved, without a reopen", async () => {
      await store.save({ hardState: hs(1, 2), entries: ents(1, 3, 1), snapshot: null });
      expect((await store.load()).entries.map((e) => e.index)).toEqual([1, 2, 3]);
      await store.save({ hardState: null, entries: ents(4, 4, 1), snapshot: null });
      expect((await store.load()).entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    });

    it("applies saves issued without waiting in call order", async () => {
      const saves = [
        store.save({ hardState: hs(1, 0), entries: ents(1, 3, 1), snapshot: null }),
        store.save({ hardState: hs(2, 3), entries: ents(3, 5, 2), snapshot: null }),
        store.save({ hardState: null, entries: ents(9, 9, 2), snapshot: null }), // a gap: refused alone
        store.save({ hardState: hs(2, 6), entries: ents(6, 6, 2), snapshot: null }),
      ];
      const results = await Promise.allSettled(saves);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect(loaded.entries.map((e) => [e.index, e.term])).toEqual([
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 2],
        [5, 2],
        [6, 2],
      ]);
      expect(loaded.hardState).toEqual(hs(2, 6));
    });

    it("keeps confChange entries' type and empty data", async () => {
      const entries: Entry[] = [
        { index: 1, term: 1, type: "confChange", data: payload(1, 1, 40) },
        { index: 2, term: 1, type: "normal", data: new Uint8Array(0) },
      ];
      await store.save({ hardState: hs(1, 2), entries, snapshot: null });
      store = await harness.reopen(store);
      expect(plain((await store.load()).entries)).toEqual(plain(entries));
    });

    it("does not keep a reference to the caller's buffers", async () => {
      const entries = ents(1, 1, 1);
      await store.save({ hardState: null, entries, snapshot: null });
      (entries[0]!.data as Uint8Array).fill(0xee);
      store = await harness.reopen(store);
      expect(plain((await store.load()).entries)).toEqual(plain(ents(1, 1, 1)));
    });

    it("replaces a conflicting suffix and deletes every entry after the new last one", async () => {
      await store.save({ hardState: hs(1, 3), entries: ents(1, 10, 1), snapshot: null });
      await store.save({ hardState: hs(2, 3), entries: ents(6, 7, 2), snapshot: null });
      expect(store.lastIndex()).toBe(7);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect(plain(loaded.entries)).toEqual(plain([...ents(1, 5, 1), ...ents(6, 7, 2)]));
      // Appending after the truncation continues from the new last index.
      await store.save({ hardState: null, entries: ents(8, 8, 2), snapshot: null });
      store = await harness.reopen(store);
      expect((await store.load()).entries.map((e) => [e.index, e.term])).toEqual([
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 1],
        [5, 1],
        [6, 2],
        [7, 2],
        [8, 2],
      ]);
    });

    it("overwrites the whole log from index 1", async () => {
      await store.save({ hardState: null, entries: ents(1, 4, 1), snapshot: null });
      await store.save({ hardState: hs(3, 0), entries: ents(1, 2, 3), snapshot: null });
      store = await harness.reopen(store);
      expect(plain((await store.load()).entries)).toEqual(plain(ents(1, 2, 3)));
    });

    it("refuses gaps, non-contiguous batches, decreasing terms and a commit beyond the log", async () => {
      await store.save({ hardState: hs(2, 0), entries: ents(1, 3, 2), snapshot: null });
      await expect(store.save({ hardState: null, entries: ents(5, 6, 2), snapshot: null })).rejects.toThrow(
        TypeError,
      );
      await expect(
        store.save({ hardState: null, entries: [...ents(4, 4, 2), ...ents(6, 6, 2)], snapshot: null }),
      ).rejects.toThrow(/not contiguous/);
      await expect(store.save({ hardState: null, entries: ents(4, 4, 1), snapshot: null })).rejects.toThrow(
        /term/,
      );
      await expect(store.save({ hardState: hs(2, 4), entries: [], snapshot: null })).rejects.toThrow(
        /beyond/,
      );
      // Nothing of a refused save was written.
      store = await harness.reopen(store);
      expect((await store.load()).entries.map((e) => e.index)).toEqual([1, 2, 3]);
    });

    it("keeps the previous hard state when a save carries none", async () => {
      await store.save({ hardState: hs(4, 1, 2), entries: ents(1, 2, 4), snapshot: null });
      await store.save({ hardState: null, entries: ents(3, 3, 4), snapshot: null });
      store = await harness.reopen(store);
      expect((await store.load()).hardState).toEqual(hs(4, 1, 2));
    });

    it("installs a leader's snapshot: the log restarts after it", async () => {
      await store.save({ hardState: hs(1, 5), entries: ents(1, 10, 1), snapshot: null });
      await store.save({ hardState: hs(3, 20), entries: ents(21, 22, 3), snapshot: meta(20, 3) });
      expect([store.firstIndex(), store.lastIndex()]).toEqual([21, 22]);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect(loaded.snapshotMeta).toEqual(meta(20, 3));
      expect([loaded.firstIndex, loaded.compactedTerm]).toEqual([21, 3]);
      expect(plain(loaded.entries)).toEqual(plain(ents(21, 22, 3)));
      const ms = restoreMemoryStorage(loaded);
      expect([ms.firstIndex(), ms.lastIndex(), ms.term(20), ms.term(22)]).toEqual([21, 22, 3, 3]);
      expect(ms.snapshot().meta).toEqual(meta(20, 3));
      expect(ms.initialState()).toEqual({ hardState: hs(3, 20), confState: CONF });
    });

    it("installs a snapshot inside the current log and drops the whole old log (as MemoryStorage does)", async () => {
      await store.save({ hardState: hs(1, 2), entries: ents(1, 10, 1), snapshot: null });
      await store.save({ hardState: hs(2, 6), entries: [], snapshot: meta(6, 2) });
      expect([store.firstIndex(), store.lastIndex()]).toEqual([7, 6]);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect([loaded.firstIndex, loaded.entries.length, loaded.compactedTerm]).toEqual([7, 0, 2]);
      await store.save({ hardState: null, entries: ents(7, 8, 2), snapshot: null });
      store = await harness.reopen(store);
      expect((await store.load()).entries.map((e) => e.index)).toEqual([7, 8]);
    });

    it("refuses an out-of-date snapshot and a commit behind the snapshot", async () => {
      await store.save({ hardState: hs(2, 10), entries: [], snapshot: meta(10, 2) });
      await expect(store.save({ hardState: null, entries: [], snapshot: meta(10, 2) })).rejects.toThrow(
        RaftError,
      );
      await expect(store.save({ hardState: hs(2, 5), entries: [], snapshot: null })).rejects.toThrow(
        /behind/,
      );
      await expect(store.save({ hardState: null, entries: [], snapshot: meta(12, 2) })).rejects.toThrow(
        /behind/,
      );
    });

    it("skips entries already covered by the snapshot", async () => {
      await store.save({ hardState: hs(2, 10), entries: [], snapshot: meta(10, 2) });
      await store.save({ hardState: null, entries: ents(8, 12, 2), snapshot: null });
      store = await harness.reopen(store);
      expect((await store.load()).entries.map((e) => e.index)).toEqual([11, 12]);
    });

    it("stores the bootstrap configuration as a snapshot at index 0", async () => {
      await store.save({ hardState: null, entries: [], snapshot: meta(0, 0) });
      await store.save({ hardState: hs(1, 1), entries: ents(1, 1, 1, "confChange"), snapshot: null });
      store = await harness.reopen(store);
      const ms = await restored(store);
      expect(ms.initialState().confState).toEqual(CONF);
      expect([ms.firstIndex(), ms.lastIndex(), ms.snapshot().meta.index]).toEqual([1, 1, 0]);
      await expect(store.save({ hardState: null, entries: [], snapshot: meta(0, 1) })).rejects.toThrow(
        TypeError,
      );
    });

    it("records a snapshot of the application and compacts behind it, retaining entries", async () => {
      await store.save({
        hardState: hs(2, 90),
        entries: [...ents(1, 50, 1), ...ents(51, 100, 2)],
        snapshot: null,
      });
      await store.recordSnapshot(meta(80, 2));
      expect([store.firstIndex(), store.lastIndex()]).toEqual([1, 100]);
      await store.compact(70);
      expect([store.firstIndex(), store.lastIndex()]).toEqual([71, 100]);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect([loaded.firstIndex, loaded.compactedTerm, loaded.snapshotMeta]).toEqual([71, 2, meta(80, 2)]);
      const ms = restoreMemoryStorage(loaded);
      expect([ms.firstIndex(), ms.lastIndex(), ms.term(70), ms.term(80), ms.term(100)]).toEqual([
        71, 100, 2, 2, 2,
      ]);
      expect(ms.snapshot().meta).toEqual(meta(80, 2));
      expect(() => ms.term(69)).toThrow(/compacted/);
      expect(ms.entries(71, 73, Number.POSITIVE_INFINITY).map((e) => e.index)).toEqual([71, 72]);
      // Compacting up to the snapshot; below the log start is a no-op; beyond the snapshot is refused.
      await store.compact(80);
      await store.compact(75);
      await expect(store.compact(81)).rejects.toThrow(/beyond the snapshot/);
      store = await harness.reopen(store);
      expect([(await store.load()).firstIndex, store.firstIndex()]).toEqual([81, 81]);
    });

    it("compacts a long log (more than one bounded batch)", async () => {
      const batches = 10;
      for (let b = 0; b < batches; b++) {
        const from = b * 1000 + 1;
        await store.save({
          hardState: hs(1, from + 999),
          entries: ents(from, from + 999, 1),
          snapshot: null,
        });
      }
      await store.recordSnapshot(meta(9_500, 1));
      await store.compact(9_000);
      store = await harness.reopen(store);
      const loaded = await store.load();
      expect([loaded.firstIndex, loaded.entries.length, loaded.entries.at(-1)?.index]).toEqual([
        9_001, 1_000, 10_000,
      ]);
    });

    it("refuses a recorded snapshot outside the log, beyond the commit, with the wrong term, or out of date", async () => {
      await store.save({ hardState: hs(2, 8), entries: ents(1, 10, 2), snapshot: null });
      await expect(store.recordSnapshot(meta(11, 2))).rejects.toThrow(/outside the log/);
      await expect(store.recordSnapshot(meta(9, 2))).rejects.toThrow(/beyond the commit/);
      await expect(store.recordSnapshot(meta(5, 1))).rejects.toThrow(/term/);
      await store.recordSnapshot(meta(5, 2));
      await expect(store.recordSnapshot(meta(5, 2))).rejects.toThrow(RaftError);
    });

    it("completes saves issued before close", async () => {
      const pending = store.save({ hardState: hs(1, 2), entries: ents(1, 2, 1), snapshot: null });
      await harness.close(store);
      await pending;
      store = await harness.open();
      expect(store.lastIndex()).toBe(2);
    });

    it("rejects writes after close", async () => {
      await harness.close(store);
      await expect(store.save({ hardState: hs(1, 0), entries: [], snapshot: null })).rejects.toMatchObject({
        code: "RAFTKV_STORE_CLOSED",
      });
      store = await harness.open();
    });

    it("rebuilds exactly the MemoryStorage the driver kept (model check)", async () => {
      const runs = name === "memory" ? 100 : 15;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 25 }), async (choices) => {
          await harness.close(store);
          const fresh = await makeHarness();
          let s = await fresh.open();
          try {
            const reference = new MemoryStorage();
            for (const choice of choices) s = await step(fresh, s, reference, choice);
            s = await fresh.reopen(s);
            expect(observe(await restored(s))).toEqual(observe(reference));
          } finally {
            await fresh.close(s).catch(() => {});
            await fresh.dispose();
          }
          store = await harness.open();
        }),
        { numRuns: runs },
      );
    });
  });
}

/**
 * One operation of the model check, chosen by `choice`, applied to the store and to the reference
 * MemoryStorage exactly as the driver would (Raft-valid arguments only).
 */
async function step(
  harness: LogStoreHarness,
  store: LogStore,
  ref: MemoryStorage,
  choice: number,
): Promise<LogStore> {
  const first = ref.firstIndex();
  const last = ref.lastIndex();
  const hard = ref.hardState();
  const snapIndex = ref.snapshot().meta.index;
  const lastTerm = ref.term(last);
  const pick = (lo: number, hi: number, salt: number): number =>
    lo + (Math.floor(choice / salt) % (hi - lo + 1));
  switch (choice % 6) {
    case 0:
    case 1: {
      // Append (possibly over a conflicting, uncommitted suffix) at p in [max(first, commit + 1), last + 1].
      const p = pick(Math.max(first, hard.commit + 1), last + 1, 6);
      const term = Math.max(ref.term(p - 1), hard.term) + (choice % 12 < 6 ? 0 : 1);
      const count = 1 + (Math.floor(choice / 7) % 5);
      const entries = ents(p, p + count - 1, term, choice % 5 === 0 ? "confChange" : "normal");
      const newLast = p + count - 1;
      const hardState = { term, vote: 1, commit: pick(hard.commit, newLast, 11) };
      await store.save({ hardState, entries, snapshot: null });
      ref.append(entries);
      ref.setHardState(hardState);
      return store;
    }
    case 2: {
      if (hard.commit <= snapIndex) return store;
      const index = pick(snapIndex + 1, hard.commit, 6);
      const confState = { voters: [1, 2, 3].slice(0, 1 + (choice % 3)), learners: [] };
      await store.recordSnapshot({ index, term: ref.term(index), confState });
      ref.createSnapshot(index, confState, new Uint8Array(0));
      return store;
    }
    case 3: {
      if (snapIndex < first) return store;
      const index = pick(first, snapIndex, 6);
      await store.compact(index);
      ref.compact(index);
      return store;
    }
    case 4: {
      // A snapshot from the leader, at or after the commit index.
      const index = pick(Math.max(snapIndex + 1, hard.commit), last + 3, 6);
      const term = Math.max(lastTerm, hard.term) + (choice % 2);
      const snapshot = { index, term, confState: { voters: [1, 2], learners: [3] } };
      const hardState = { term, vote: 2, commit: index };
      await store.save({ hardState, entries: [], snapshot });
      ref.applySnapshot({ meta: snapshot, data: new Uint8Array(0) });
      ref.setHardState(hardState);
      return store;
    }
    default:
      return harness.reopen(store);
  }
}
