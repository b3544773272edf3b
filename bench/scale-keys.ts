// The keys and sizes of bench/scale.ts, apart from its main() so that tests can import them.

export const KEY_SIZE = 16;

/**
 * Key i as etcd-benchmark's `put --sequential-keys --key-size 16` writes it: Go's
 * binary.PutVarint(i) (zigzag, so the varint of 2i) at the start of 16 zero bytes. Loading these
 * keys makes the benchmark's puts overwrite existing keys.
 */
export function benchmarkKey(i: number): Buffer {
  const key = Buffer.alloc(KEY_SIZE);
  let v = 2 * i;
  let p = 0;
  while (v >= 0x80) {
    key[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  key[p] = v;
  return key;
}

/** "10000", "10k", "1M" → a count. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (m === null) throw new Error(`--sizes: "${s}" is not a key count (e.g. 10000, 100k, 5M)`);
  const n = Number(m[1]) * (m[2] === "" ? 1 : m[2]!.toLowerCase() === "k" ? 1e3 : 1e6);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--sizes: "${s}" is not a positive integer`);
  return n;
}

export function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}
