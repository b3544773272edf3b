// Logging: a pino-compatible interface, and a limiter so that a misbehaving peer produces one
// warning per minute, not one per message.

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
export const SILENT_LOGGER: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Lets one event per key through per interval; remembers at most `maxKeys` keys. */
export class RateLimiter {
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #last = new Map<string, number>();

  constructor(intervalMs: number, maxKeys = 1024, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /** True when an event with this key may be reported now (and records that it was). */
  allow(key: string): boolean {
    const now = this.#now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#intervalMs) return false;
    if (last === undefined && this.#last.size >= this.#maxKeys) {
      // Forget the oldest key (Map iterates in insertion order) rather than grow without bound.
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    this.#last.delete(key);
    this.#last.set(key, now);
    return true;
  }
}
