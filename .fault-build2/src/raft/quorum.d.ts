import type { NodeId } from "./types.js";
/** Smallest number of voters that forms a majority of `voterCount`. */
export declare function majoritySize(voterCount: number): number;
/**
 * The highest index that a majority of voters have (each voter's match index given once).
 * With no voters the result is +Infinity-free: 0 would stall commits forever, so callers never
 * ask with an empty configuration.
 */
export declare function majorityCommitIndex(matchIndexes: readonly number[]): number;
export type VoteResult = "won" | "lost" | "pending";
/** Election outcome given the votes received so far (true = granted). */
export declare function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult;
/** True when the acknowledging set contains a majority of voters. */
export declare function hasMajority(voters: readonly NodeId[], acked: ReadonlySet<NodeId>): boolean;
