// A small seeded PRNG (mulberry32) so one seed drives the whole simulation. Math.random is never
// used in the simulator: every random choice must be reproducible from the seed alone.

/** Mixes a 32-bit value (splitmix32 finalizer); used to derive independent sub-stream seeds. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  #state: number;

  constructor(seed: number) {
    // Mixing first keeps neighbouring seeds (1, 2, 3, ...) from starting with similar streams.
    this.#state = mix32(seed >>> 0);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!(maxExclusive >= 1)) throw new RangeError(`int(${maxExclusive}): bound must be >= 1`);
    return Math.floor(this.next() * maxExclusive);
  }

  /** An integer in [lo, hi], both inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError("pick from an empty list");
    return item;
  }

  /** Picks by weight: `weighted([[a, 3], [b, 1]])` returns a three times as often as b. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of choices) total += w;
    let x = this.next() * total;
    for (const [item, w] of choices) {
      x -= w;
      if (x < 0) return item;
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError("weighted pick from an empty list");
    return last[0];
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent stream, so that e.g. one node's timer randomness does not shift when the
   *  network draws a different number of values. */
  fork(label: number): Prng {
    return new Prng(mix32(this.nextUint32() ^ mix32(label)));
  }
}

/** A stream derived from a seed and a label without consuming from any other stream. */
export function derivedPrng(seed: number, label: number): Prng {
  return new Prng(mix32(mix32(seed >>> 0) ^ mix32(label + 0x51ed27)));
}
