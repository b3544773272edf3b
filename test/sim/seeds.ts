// Which seeds to run, from the environment: RAFTKV_SIM_SEEDS=a-b (inclusive) or a single seed.

export interface SeedRange {
  readonly first: number;
  readonly last: number;
}

export function parseSeedRange(text: string | undefined, fallback: SeedRange): SeedRange {
  if (text === undefined || text.trim() === "") return fallback;
  const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(text);
  if (m === null) throw new TypeError(`RAFTKV_SIM_SEEDS must look like "1-500" or "42", got "${text}"`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first || last > 0xffffffff) {
    throw new TypeError(`RAFTKV_SIM_SEEDS range "${text}" is empty or out of bounds`);
  }
  return { first, last };
}

/** Split a range into consecutive chunks of at most `size` seeds. */
export function chunks(range: SeedRange, size: number): SeedRange[] {
  const out: SeedRange[] = [];
  for (let first = range.first; first <= range.last; first += size) {
    out.push({ first, last: Math.min(range.last, first + size - 1) });
  }
  return out;
}

export function replayCommand(seed: number, extraEnv = ""): string {
  const env = extraEnv === "" ? "" : `${extraEnv} `;
  return `${env}RAFTKV_SIM_SEEDS=${seed}-${seed} RAFTKV_SIM_VERBOSE=1 npx vitest run test/sim/random.test.ts`;
}

/** Planted bugs for a replay (RAFTKV_SIM_PLANT=name[,name]), validated against the known ones. */
export function plantedFromEnv<T extends string>(
  text: string | undefined,
  known: readonly T[],
): Partial<Record<T, boolean>> {
  const out: Partial<Record<T, boolean>> = {};
  if (text === undefined || text.trim() === "") return out;
  for (const name of text.split(",").map((x) => x.trim())) {
    if (!(known as readonly string[]).includes(name)) {
      throw new TypeError(`RAFTKV_SIM_PLANT: unknown bug "${name}" (known: ${known.join(", ")})`);
    }
    out[name as T] = true;
  }
  return out;
}

/** Let the event loop turn. A long synchronous search must do this now and then: vitest's
 *  worker answers its RPC (task updates) only when the loop reaches I/O, and times out after
 *  60 s otherwise. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Seeds run between two yields to the event loop (a fraction of a second of work). */
export const SEEDS_PER_YIELD = 20;
