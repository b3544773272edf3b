import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMeta,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
  entryKey,
  entryKeyIndex,
} from "../../src/storage/codec.js";
import { parseSstables } from "../../src/storage/level-diagnostics.js";

const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

describe("codec", () => {
  it("round-trips entries, and keys sort by index", () => {
    fc.assert(
      fc.property(safe, safe, fc.boolean(), fc.uint8Array({ maxLength: 300 }), (index, term, conf, data) => {
        const entry = { index, term, type: conf ? ("confChange" as const) : ("normal" as const), data };
        const [key, value] = encodeEntry(entry);
        const back = decodeEntry(key, value);
        expect({ ...back, data: [...back.data] }).toEqual({ ...entry, data: [...data] });
        expect(entryKeyIndex(key)).toBe(index);
      }),
    );
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        expect(Math.sign(Buffer.compare(entryKey(a), entryKey(b)))).toBe(Math.sign(a - b));
      }),
    );
  });

  it("detects any single flipped bit in an entry value", () => {
    const [key, value] = encodeEntry({ index: 7, term: 3, type: "normal", data: Buffer.from("hello") });
    for (let bit = 0; bit < value.length * 8; bit++) {
      const bad = Buffer.from(value);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => decodeEntry(key, bad)).toThrow(DecodeError);
    }
  });

  it("round-trips the hard state and snapshot metadata", () => {
    fc.assert(
      fc.property(safe, safe, safe, (term, vote, commit) => {
        expect(decodeHardState(encodeHardState({ term, vote, commit }))).toEqual({ term, vote, commit });
      }),
    );
    const meta = { index: 2 ** 40, term: 9, confState: { voters: [1, 2, 2 ** 50], learners: [7] } };
    expect(decodeSnapshotMeta(encodeSnapshotMeta(meta))).toEqual(meta);
    expect(() => encodeHardState({ term: -1, vote: 0, commit: 0 })).toThrow(TypeError);
  });

  it("parses LevelDB's sstables property, escaped keys included", () => {
    const property = [
      "--- level 0 ---",
      " 9:1151464['\\x01\\x02' @ 30470 : 1 .. '\\x02\\x00\\x00\\x00\\x00\\x00\\x00u0' @ 30469 : 1]",
      "--- level 1 ---",
      "--- level 2 ---",
      " 5:3724616['\\x01\\x01' @ 1 : 1 .. '\\x02\\x00\\x00\\x00\\x00\\x00\\x002\\xc0' @ 13195 : 1]",
    ].join("\n");
    expect(parseSstables(property)).toEqual([
      { file: "000009.ldb", level: 0, smallest: Buffer.from([1, 2]), largest: entryKey(30_000) },
      { file: "000005.ldb", level: 2, smallest: Buffer.from([1, 1]), largest: entryKey(0x32c0) },
    ]);
  });
});
