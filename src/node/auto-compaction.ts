// Auto-compaction (etcd's --auto-compaction-mode / --auto-compaction-retention): the LEADER
// proposes Compact through Raft, so every member compacts at the same point of the log.
//
// - revision: every 5 minutes, compact to (current revision - retention), as etcd 3.4.
// - periodic: sample the revision every retention/10 (at most every hour) and compact to the one
//   sampled `retention` ago, i.e. keep about `retention` of history, as etcd 3.4.
// The decision (AutoCompactionPolicy) is pure and takes the time; AutoCompactor runs it on a timer.

import { isKvError } from "../kv/errors.js";
import type { Logger } from "./logger.js";

export type AutoCompactionMode = "periodic" | "revision";

export interface AutoCompactionConfig {
  readonly mode: AutoCompactionMode;
  /** periodic: milliseconds of history to keep; revision: revisions to keep. 0 = disabled. */
  readonly retention: number;
}

/** etcd's revision compactor period. */
export const REVISION_CHECK_MS = 5 * 60_000;
const HOUR_MS = 60 * 60_000;

export class AutoCompactionConfigError extends Error {}

/**
 * Parses --auto-compaction-retention as etcd does: in revision mode a count; in periodic mode a
 * duration ("90s", "30m", "1h", "1h30m") or a bare number of hours ("1", "0.5").
 */
export function parseAutoCompaction(mode: string, retention: string): AutoCompactionConfig {
  if (mode !== "periodic" && mode !== "revision") {
    throw new AutoCompactionConfigError(`--auto-compaction-mode: "${mode}" is not periodic or revision`);
  }
  const text = retention.trim();
  if (mode === "revision") {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new AutoCompactionConfigError(
        `--auto-compaction-retention: "${retention}" is not a revision count`,
      );
    }
    return { mode, retention: n };
  }
  if (/^\d+(\.\d+)?$/.test(text)) return { mode, retention: Math.round(Number(text) * HOUR_MS) };
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (m === null) {
      throw new AutoCompactionConfigError(
        `--auto-compaction-retention: "${retention}" is not a duration (e.g. 1h, 30m, 90s) or hours`,
      );
    }
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return { mode, retention: Math.round(total) };
}

/** The pure decision: feed it ticks; it says when to compact and to what revision. */
export class AutoCompactionPolicy {
  readonly #config: AutoCompactionConfig;
  /** periodic: (time, revision) samples, oldest first. */
  #samples: { atMs: number; revision: number }[] = [];
  #lastCheckMs = Number.NEGATIVE_INFINITY;
  #lastProposed = 0;

  constructor(config: AutoCompactionConfig) {
    this.#config = config;
  }

  /** How often tick() wants to be called. */
  get intervalMs(): number {
    if (this.#config.mode === "revision") return REVISION_CHECK_MS;
    return Math.max(1, Math.min(HOUR_MS, Math.floor(this.#config.retention / 10)));
  }

  /** Forget samples (leadership lost: a new leader starts over, as etcd's compactor Pause/Resume). */
  reset(): void {
    this.#samples = [];
    this.#lastCheckMs = Number.NEGATIVE_INFINITY;
  }

  /** The revision to compact to now, or 0. `compacted`: the store's compacted revision. */
  tick(nowMs: number, revision: number, compacted: number): number {
    if (this.#config.retention <= 0) return 0;
    if (this.#config.mode === "revision") {
      if (nowMs - this.#lastCheckMs < REVISION_CHECK_MS) return 0;
      this.#lastCheckMs = nowMs;
      return this.#propose(revision - this.#config.retention, compacted);
    }
    this.#samples.push({ atMs: nowMs, revision });
    let target = 0;
    while (this.#samples.length > 0 && nowMs - this.#samples[0]!.atMs >= this.#config.retention) {
      target = this.#samples.shift()!.revision;
    }
    return this.#propose(target, compacted);
  }

  #propose(target: number, compacted: number): number {
    if (target <= 0 || target <= compacted || target <= this.#lastProposed) return 0;
    this.#lastProposed = target;
    return target;
  }
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

export class AutoCompactor {
  readonly #o: AutoCompactorOptions;
  readonly #policy: AutoCompactionPolicy;
  #timer: NodeJS.Timeout | null = null;
  #wasLeader = false;

  constructor(options: AutoCompactorOptions) {
    this.#o = options;
    this.#policy = new AutoCompactionPolicy(options.config);
  }

  start(): void {
    if (this.#o.config.retention <= 0) return;
    // Revision mode checks on its own 5-minute period; poll often enough to notice leadership.
    const every = Math.min(this.#policy.intervalMs, 1000);
    this.#timer = setInterval(() => this.#tick(), every);
    this.#timer.unref();
    this.#o.logger.info(
      { mode: this.#o.config.mode, retention: this.#o.config.retention },
      "auto-compaction enabled",
    );
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #lastSampleMs = Number.NEGATIVE_INFINITY;

  #tick(): void {
    const leader = this.#o.isLeader();
    if (leader !== this.#wasLeader) {
      this.#wasLeader = leader;
      this.#policy.reset();
      this.#lastSampleMs = Number.NEGATIVE_INFINITY;
    }
    if (!leader) return;
    const now = (this.#o.now ?? Date.now)();
    if (this.#o.config.mode === "periodic" && now - this.#lastSampleMs < this.#policy.intervalMs) return;
    this.#lastSampleMs = now;
    const target = this.#policy.tick(now, this.#o.revision(), this.#o.compactedRevision());
    if (target === 0) return;
    this.#o.logger.info({ revision: target, mode: this.#o.config.mode }, "auto-compaction: compacting");
    this.#o.propose(target).catch((err: unknown) => {
      if (!isKvError(err, "RAFTKV_COMPACTED"))
        this.#o.logger.warn({ err, revision: target }, "auto-compaction failed");
    });
  }
}
