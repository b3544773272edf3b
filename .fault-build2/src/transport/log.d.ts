export interface Logger {
    debug(obj: object, msg?: string): void;
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
}
export declare const SILENT_LOGGER: Logger;
/** Lets one event per key through per interval; remembers at most `maxKeys` keys. */
export declare class RateLimiter {
    #private;
    constructor(intervalMs: number, maxKeys?: number, now?: () => number);
    /** True when an event with this key may be reported now (and records that it was). */
    allow(key: string): boolean;
}
