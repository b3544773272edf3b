import type { Logger } from "./logger.js";
export type AutoCompactionMode = "periodic" | "revision";
export interface AutoCompactionConfig {
    readonly mode: AutoCompactionMode;
    /** periodic: milliseconds of history to keep; revision: revisions to keep. 0 = disabled. */
    readonly retention: number;
}
/** etcd's revision compactor period. */
export declare const REVISION_CHECK_MS: number;
export declare class AutoCompactionConfigError extends Error {
}
/**
 * Parses --auto-compaction-retention as etcd does: in revision mode a count; in periodic mode a
 * duration ("90s", "30m", "1h", "1h30m") or a bare number of hours ("1", "0.5").
 */
export declare function parseAutoCompaction(mode: string, retention: string): AutoCompactionConfig;
/** The pure decision: feed it ticks; it says when to compact and to what revision. */
export declare class AutoCompactionPolicy {
    #private;
    constructor(config: AutoCompactionConfig);
    /** How often tick() wants to be called. */
    get intervalMs(): number;
    /** Forget samples (leadership lost: a new leader starts over, as etcd's compactor Pause/Resume). */
    reset(): void;
    /** The revision to compact to now, or 0. `compacted`: the store's compacted revision. */
    tick(nowMs: number, revision: number, compacted: number): number;
}
export interface AutoCompactorOptions {
    readonly config: AutoCompactionConfig;
    readonly isLeader: () => boolean;
    readonly revision: () => number;
    readonly compactedRevision: () => number;
    readonly propose: (revision: number) => Promise<unknown>;
    readonly logger: Logger;
    readonly now?: () => number;
}
export declare class AutoCompactor {
    #private;
    constructor(options: AutoCompactorOptions);
    start(): void;
    stop(): void;
}
