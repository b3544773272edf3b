// Where a write's time goes, on the leader: per-stage histograms cheap enough to leave on.
//
//   raftkv_write_stage_seconds{stage}  time from `received` (the member took the proposal) to:
//     proposed          encoded and appended to the leader's log (in memory)
//     leader_persisted  the leader's own log write is durable (fsync)
//     follower_acked    the first follower acknowledged it durable
//     committed         the leader knows it committed (a quorum durable)
//     applied           the state machine applied it in memory (its LevelDB batch follows)
//     answered          the waiting call was resolved (its response is then sent by grpc-js);
//                       before the batch is written, unless it reads a value back (prev_kv)
//   raftkv_log_write_seconds        duration of one log write (many Readies, one batch, fsync)
//   raftkv_log_write_entries        entries per log write (group commit)
//   raftkv_apply_seconds            duration of one apply batch, its LevelDB write included
//
// Records are kept per proposal in index order, in a bounded queue; each stage is a watermark
// that stamps every record at or below it, so the cost is O(1) per write per stage. Records of
// proposals forwarded to another leader are not tracked (their stages happen elsewhere).

import { Histogram, type Registry } from "prom-client";

const STAGES = [
  "proposed",
  "leader_persisted",
  "follower_acked",
  "committed",
  "applied",
  "answered",
] as const;
export type WriteStage = (typeof STAGES)[number];

const STAGE_BUCKETS_SECONDS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Records tracked at once; past it new writes are not timed (the queue never grows unbounded). */
const TRACKED_MAX = 1 << 16;

interface TimedWrite {
  index: number;
  readonly receivedMs: number;
  /** Stamps per stage index (NaN until reached). */
  readonly at: Float64Array;
}

export class WriteTimeline {
  readonly #stage: Histogram.Internal<"stage">[];
  readonly #logWrite: Histogram;
  readonly #logWriteEntries: Histogram;
  readonly #apply: Histogram;
  #queue: TimedWrite[] = [];
  #head = 0;
  /** Per stage: position in the queue of the first record not yet stamped. */
  readonly #cursor = new Int32Array(STAGES.length);

  constructor(registry: Registry | null) {
    const registers = registry === null ? [] : [registry];
    const stage = new Histogram<"stage">({
      name: "raftkv_write_stage_seconds",
      help: "Time from a write's arrival at the leader to each stage of its path",
      labelNames: ["stage"],
      buckets: STAGE_BUCKETS_SECONDS,
      registers,
    });
    this.#stage = STAGES.map((s) => stage.labels(s));
    this.#logWrite = new Histogram({
      name: "raftkv_log_write_seconds",
      help: "Duration of one Raft log write (one synced LevelDB batch for every Ready that waited)",
      buckets: STAGE_BUCKETS_SECONDS,
      registers,
    });
    this.#logWriteEntries = new Histogram({
      name: "raftkv_log_write_entries",
      help: "Entries per Raft log write (group commit)",
      buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.#apply = new Histogram({
      name: "raftkv_apply_seconds",
      help: "Duration of one apply batch of committed entries",
      buckets: STAGE_BUCKETS_SECONDS,
      registers,
    });
  }

  /** A proposal appended to this leader's log at `index`. */
  track(index: number, receivedMs: number, proposedMs: number): void {
    const size = this.#queue.length - this.#head;
    if (size >= TRACKED_MAX) return;
    const last = this.#queue[this.#queue.length - 1];
    // Indexes grow along the queue; a lower one means the log was replaced (new term): restart.
    if (last !== undefined && last.index >= index) this.reset();
    const at = new Float64Array(STAGES.length).fill(Number.NaN);
    at[0] = proposedMs;
    this.#queue.push({ index, receivedMs, at });
  }

  /** Leadership changed: pending records will not complete here. */
  reset(): void {
    this.#queue = [];
    this.#head = 0;
    this.#cursor.fill(0);
  }

  leaderPersisted(upTo: number, nowMs: number): void {
    this.#stamp(1, upTo, nowMs);
  }

  followerAcked(upTo: number, nowMs: number): void {
    this.#stamp(2, upTo, nowMs);
  }

  committed(upTo: number, nowMs: number): void {
    this.#stamp(3, upTo, nowMs);
  }

  applied(upTo: number, nowMs: number): void {
    this.#stamp(4, upTo, nowMs);
  }

  /** The calls waiting up to `upTo` were resolved: those records are complete and observed. */
  answered(upTo: number, nowMs: number): void {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]!.index <= upTo) {
      const w = q[this.#head]!;
      w.at[5] = nowMs;
      for (let s = 0; s < STAGES.length; s++) {
        const t = w.at[s]!;
        if (!Number.isNaN(t)) this.#stage[s]!.observe(Math.max(0, t - w.receivedMs) / 1000);
      }
      this.#head++;
    }
    if (this.#head > 4096 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      for (let s = 0; s < STAGES.length; s++) this.#cursor[s] = Math.max(0, this.#cursor[s]! - this.#head);
      this.#head = 0;
    }
  }

  logWritten(startMs: number, nowMs: number, entries: number): void {
    this.#logWrite.observe((nowMs - startMs) / 1000);
    this.#logWriteEntries.observe(entries);
  }

  applyDone(startMs: number, nowMs: number): void {
    this.#apply.observe((nowMs - startMs) / 1000);
  }

  #stamp(stage: number, upTo: number, nowMs: number): void {
    const q = this.#queue;
    let i = Math.max(this.#cursor[stage]!, this.#head);
    while (i < q.length && q[i]!.index <= upTo) {
      const at = q[i]!.at;
      if (Number.isNaN(at[stage]!)) at[stage] = nowMs;
      i++;
    }
    this.#cursor[stage] = i;
  }
}
