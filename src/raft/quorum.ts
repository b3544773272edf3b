// Majority quorum math, kept pure so it can be property-tested against a naive oracle.

import type { NodeId } from "./types.js";

/** Smallest number of voters that forms a majority of `voterCount`. */
export function majoritySize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of voters have (each voter's match index given once).
 * With no voters the result is +Infinity-free: 0 would stall commits forever, so callers never
 * ask with an empty configuration.
 */
export function majorityCommitIndex(matchIndexes: readonly number[]): number {
  return majorityCommitIndexOf(matchIndexes, matchIndexes.length);
}

/**
 * majorityCommitIndex of the first `n` values, allocating nothing for the usual cluster sizes
 * (the leader asks on every acknowledgement): the largest value that at least a majority of the
 * values reach, by counting, O(n^2) for up to 9 voters; sorted beyond.
 */
export function majorityCommitIndexOf(values: ArrayLike<number>, n: number): number {
  if (n === 0) return 0;
  const need = majoritySize(n);
  if (n > 9) {
    const sorted = Array.prototype.slice.call(values, 0, n).sort((a: number, b: number) => b - a);
    // The need-th highest value is held by at least a majority.
    return sorted[need - 1]!;
  }
  let best = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v <= best) continue;
    let reach = 0;
    for (let j = 0; j < n; j++) if (values[j]! >= v) reach++;
    if (reach >= need) best = v;
  }
  return best;
}

export type VoteResult = "won" | "lost" | "pending";

/** Election outcome given the votes received so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return "won";
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majoritySize(voters.length);
  if (granted >= need) return "won";
  if (voters.length - rejected < need) return "lost";
  return "pending";
}

/** True when the acknowledging set contains a majority of voters. */
export function hasMajority(voters: readonly NodeId[], acked: ReadonlySet<NodeId>): boolean {
  let n = 0;
  for (const id of voters) if (acked.has(id)) n++;
  return n >= majoritySize(voters.length);
}
