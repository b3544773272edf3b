// Core data types of the Raft state machine. Pure data: no I/O, no clocks.
//
// Conventions:
// - Node IDs, terms and indexes are non-negative integers below 2^53 (JS safe integers).
// - Index 0 / term 0 mean "none". The first real log entry has index 1.
// - Ranges are half-open: [lo, hi).
/** "none": the zero node ID, used for "no leader" and "no vote". */
export const NONE = 0;
export const EMPTY_HARD_STATE = Object.freeze({ term: 0, vote: NONE, commit: 0 });
//# sourceMappingURL=types.js.map