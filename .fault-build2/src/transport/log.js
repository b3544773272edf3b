// Logging: a pino-compatible interface, and a limiter so that a misbehaving peer produces one
// warning per minute, not one per message.
const noop = () => { };
export const SILENT_LOGGER = { debug: noop, info: noop, warn: noop, error: noop };
/** Lets one event per key through per interval; remembers at most `maxKeys` keys. */
export class RateLimiter {
    #intervalMs;
    #maxKeys;
    #now;
    #last = new Map();
    constructor(intervalMs, maxKeys = 1024, now = Date.now) {
        this.#intervalMs = intervalMs;
        this.#maxKeys = maxKeys;
        this.#now = now;
    }
    /** True when an event with this key may be reported now (and records that it was). */
    allow(key) {
        const now = this.#now();
        const last = this.#last.get(key);
        if (last !== undefined && now - last < this.#intervalMs)
            return false;
        if (last === undefined && this.#last.size >= this.#maxKeys) {
            // Forget the oldest key (Map iterates in insertion order) rather than grow without bound.
            const oldest = this.#last.keys().next().value;
            if (oldest !== undefined)
                this.#last.delete(oldest);
        }
        this.#last.delete(key);
        this.#last.set(key, now);
        return true;
    }
}
//# sourceMappingURL=log.js.map