export declare function mix32(x: number): number;
export declare class Prng {
    #private;
    readonly seed: number;
    constructor(seed: number);
    /** An independent stream named `label`, the same for the same seed and label. */
    fork(label: string): Prng;
    nextUint32(): number;
    /** A float in [0, 1). */
    next(): number;
    /** An integer in [0, maxExclusive). */
    int(maxExclusive: number): number;
    /** A float in [lo, hi). */
    between(lo: number, hi: number): number;
    chance(p: number): boolean;
    pick<T>(items: readonly T[]): T;
    weighted<T>(choices: readonly (readonly [T, number])[]): T;
    shuffle<T>(items: readonly T[]): T[];
}
