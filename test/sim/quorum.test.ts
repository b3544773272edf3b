// Property tests of the quorum math against naive oracles (no sorting, brute force).
// Reference: Raft paper §5.2 (majority vote), §5.3-5.4 (commit by majority match index).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hasMajority,
  majorityCommitIndex,
  majorityCommitIndexOf,
  majoritySize,
  voteResult,
} from "../../src/raft/quorum.js";
import type { NodeId } from "../../src/raft/types.js";

/** The largest x (0 or one of the match indexes) that strictly more than half of them reach. */
function oracleCommitIndex(matches: readonly number[]): number {
  let best = 0;
  for (const x of matches) {
    let reached = 0;
    for (const m of matches) if (m >= x) reached++;
    if (2 * reached > matches.length && x > best) best = x;
  }
  return best;
}

function oracleVote(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): "won" | "lost" | "pending" {
  let yes = 0;
  let no = 0;
  for (const v of voters) {
    if (votes.get(v) === true) yes++;
    if (votes.get(v) === false) no++;
  }
  const missing = voters.length - yes - no;
  if (2 * yes > voters.length) return "won";
  if (2 * (yes + missing) <= voters.length) return "lost";
  return "pending";
}

const matchIndexes = fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 });
const voterIds = fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 9 });
const voteMap = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 14 }), fc.boolean()), { maxLength: 14 })
  .map((pairs) => new Map<NodeId, boolean>(pairs));

describe("quorum", () => {
  it("majoritySize is the smallest count above half", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (n) => {
        const size = majoritySize(n);
        expect(2 * size).toBeGreaterThan(n);
        expect(2 * (size - 1)).toBeLessThanOrEqual(n);
      }),
    );
  });

  it("majorityCommitIndex agrees with the brute-force oracle", () => {
    fc.assert(
      fc.property(matchIndexes, (matches) => {
        expect(majorityCommitIndex(matches)).toBe(oracleCommitIndex(matches));
      }),
      { numRuns: 2000 },
    );
  });

  it("majorityCommitIndex ignores order and does not mutate its input", () => {
    fc.assert(
      fc.property(matchIndexes, fc.nat(), (matches, rotation) => {
        const copy = [...matches];
        const k = rotation % matches.length;
        const rotated = [...matches.slice(k), ...matches.slice(0, k)];
        expect(majorityCommitIndex(rotated)).toBe(majorityCommitIndex(matches));
        expect(matches).toEqual(copy);
      }),
    );
  });

  it("raising one match index never lowers the commit index", () => {
    fc.assert(
      fc.property(matchIndexes, fc.nat(), fc.nat({ max: 10 }), (matches, which, by) => {
        const i = which % matches.length;
        const raised = matches.map((m, j) => (j === i ? m + by : m));
        expect(majorityCommitIndex(raised)).toBeGreaterThanOrEqual(majorityCommitIndex(matches));
      }),
    );
  });

  it("majorityCommitIndexOf reads only the first n values, counting (up to 9) or sorting (beyond)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 5 }),
        (matches, garbage) => {
          // A reused scratch array: slots past n hold stale values that must not count.
          const scratch = [...matches, ...garbage.map((g) => g + 51)];
          const copy = [...scratch];
          const sortedDesc = [...matches].sort((a, b) => b - a);
          const expected = sortedDesc[majoritySize(matches.length) - 1];
          expect(majorityCommitIndexOf(scratch, matches.length)).toBe(expected);
          expect(majorityCommitIndexOf(scratch, matches.length)).toBe(oracleCommitIndex(matches));
          expect(scratch).toEqual(copy);
        },
      ),
      { numRuns: 2000 },
    );
    expect(majorityCommitIndexOf([7, 7, 7], 0)).toBe(0);
  });

  it("an empty configuration commits nothing", () => {
    expect(majorityCommitIndex([])).toBe(0);
  });

  it("voteResult agrees with the oracle, ignoring votes of non-voters", () => {
    fc.assert(
      fc.property(voterIds, voteMap, (voters, votes) => {
        expect(voteResult(voters, votes)).toBe(oracleVote(voters, votes));
      }),
      { numRuns: 2000 },
    );
  });

  it("a granted vote never turns a won election into anything else", () => {
    fc.assert(
      fc.property(voterIds, voteMap, fc.nat(), (voters, votes, which) => {
        const before = voteResult(voters, votes);
        const more = new Map(votes);
        more.set(voters[which % voters.length]!, true);
        const after = voteResult(voters, more);
        if (before === "won") expect(after).toBe("won");
        if (after === "lost") expect(before).toBe("lost");
      }),
    );
  });

  it("hasMajority agrees with counting", () => {
    fc.assert(
      fc.property(voterIds, fc.uniqueArray(fc.integer({ min: 1, max: 14 })), (voters, acked) => {
        let n = 0;
        for (const v of voters) if (acked.includes(v)) n++;
        expect(hasMajority(voters, new Set(acked))).toBe(2 * n > voters.length);
      }),
    );
  });

  it("an empty configuration wins every election (nothing to ask)", () => {
    expect(voteResult([], new Map())).toBe("won");
  });
});
