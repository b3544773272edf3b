// Majority quorum math, kept pure so it can be property-tested against a naive oracle.
/** Smallest number of voters that forms a majority of `voterCount`. */
export function majoritySize(voterCount) {
    return Math.floor(voterCount / 2) + 1;
}
/**
 * The highest index that a majority of voters have (each voter's match index given once).
 * With no voters the result is +Infinity-free: 0 would stall commits forever, so callers never
 * ask with an empty configuration.
 */
export function majorityCommitIndex(matchIndexes) {
    const n = matchIndexes.length;
    if (n === 0)
        return 0;
    const sorted = [...matchIndexes].sort((a, b) => b - a);
    // The majoritySize-th highest value is held by at least a majority.
    return sorted[majoritySize(n) - 1];
}
/** Election outcome given the votes received so far (true = granted). */
export function voteResult(voters, votes) {
    if (voters.length === 0)
        return "won";
    let granted = 0;
    let rejected = 0;
    for (const id of voters) {
        const v = votes.get(id);
        if (v === true)
            granted++;
        else if (v === false)
            rejected++;
    }
    const need = majoritySize(voters.length);
    if (granted >= need)
        return "won";
    if (voters.length - rejected < need)
        return "lost";
    return "pending";
}
/** True when the acknowledging set contains a majority of voters. */
export function hasMajority(voters, acked) {
    let n = 0;
    for (const id of voters)
        if (acked.has(id))
            n++;
    return n >= majoritySize(voters.length);
}
//# sourceMappingURL=quorum.js.map