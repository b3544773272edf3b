// A member and its disk: what it does when the disk fills up, how it gives space back, and how it
// starts on a full disk.
//
// - A full disk (ENOSPC): the storage layer holds every write and reopens the store once space
//   is back (src/storage/disk-space.ts), so the loop's persist of a Ready, the apply of committed
//   entries and compaction just wait: nothing half-written is acknowledged. Meanwhile this member
//   answers new writes and linearizable reads at once with RAFTKV_DISK_FULL (UNAVAILABLE: the
//   client may go to another member), keeps serving serializable reads from memory, reports the
//   problem in Status and /readyz, and hands leadership away (its loop is stuck behind the held
//   persist, so the others elect a new leader in any case once its heartbeats stop).
// - Space back: Compact compacts the freed history ranges in LevelDB once the physical compaction
//   is done; Defragment takes a snapshot, drops the Raft log behind it and compacts the whole
//   store, and reports the store's bytes before and after.
// - Starting on a full disk: the data dir cannot be opened (LevelDB writes a table and a manifest
//   when it opens): the member says so in its log and on /readyz, and tries again with backoff
//   instead of exiting (a crash loop would not free anything).

import { createServer } from "node:http";
import { NodeError } from "../api/errors.js";
import { parseListen } from "../api/listen.js";
import type { KvStateMachine } from "../kv/index.js";
import { type DataDir, isNoSpaceError, type StoreSize } from "../storage/index.js";
import type { Logger } from "./logger.js";
import type { RaftKvNode } from "./node.js";

/** How often the store's size is measured (Status, the quota). */
const MEASURE_EVERY_MS = 1000;

interface CompactingLevel {
  compactRange(start: Buffer, end: Buffer): Promise<void>;
}

/** The KV sublevel's keys ("!kv!" + key, data-dir.ts), and every key of the store. */
const KV_RANGE = { start: Buffer.from("!kv!", "latin1"), end: Buffer.from("!kv!\xff\xff", "latin1") };
const ALL_KEYS = { start: Buffer.of(0), end: Buffer.alloc(32, 0xff) };

function compacting(dataDir: DataDir): CompactingLevel {
  return dataDir.db as unknown as CompactingLevel;
}

/** Range compactions of a store, one at a time (so the sizes measured around each are its own). */
const compactions = new WeakMap<DataDir, Promise<unknown>>();

function oneAtATime<T>(dataDir: DataDir, run: () => Promise<T>): Promise<T> {
  const next = (compactions.get(dataDir) ?? Promise.resolve()).then(run);
  compactions.set(
    dataDir,
    next.catch(() => undefined),
  );
  return next;
}

export interface DiskMonitor {
  /** Defragment: the store's bytes before and after. */
  defragment(): Promise<{ dbSizeBefore: number; dbSizeAfter: number }>;
  stop(): void;
}

/**
 * Wires a running node to its data dir's disk: the full-disk state (admission, readiness, stepping
 * down), the periodic size measurement, Defragment and the reopen hooks of background work.
 */
export function watchDisk(
  node: RaftKvNode,
  dataDir: DataDir,
  kv: KvStateMachine,
  log: Logger,
  quotaBackendBytes: number,
): DiskMonitor {
  const space = dataDir.space;
  const full = (): boolean => space.status.state === "full";
  node.addHooks({
    admit: (kind) => (full() && kind !== "memberAttributes" ? new NodeError("RAFTKV_DISK_FULL") : null),
    problems: () => {
      const s = space.status;
      if (s.state !== "full") return [];
      return [
        `no space left on device in ${dataDir.dir} since ${new Date(s.since).toISOString()}: ` +
          `writes are held until space is freed (attempt ${s.attempts}): ${s.reason}`,
      ];
    },
    status: () => {
      const size = dataDir.size.current;
      return { dbSize: size.dbSize, dbSizeInUse: size.dbSizeInUse, dbSizeQuota: quotaBackendBytes };
    },
  });
  const unsubscribe = space.onChange((s) => {
    if (s.state === "full") node.stepDown();
  });
  // Physical compaction may be held in the gate (so it must not be awaited before the reopen), or
  // have stopped on a read while the store was closed: restart it once the store is back.
  space.aroundReopen(
    async () => undefined,
    async () => kv.resumeBackground(),
  );
  const measure = (): void => {
    dataDir.size.measure().catch((err: unknown) => log.debug({ err }, "measuring the store failed"));
  };
  measure();
  const timer = setInterval(measure, MEASURE_EVERY_MS);
  timer.unref();
  return {
    defragment: () => oneAtATime(dataDir, () => defragment(node, dataDir, log)),
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

/**
 * Snapshot and truncate the Raft log, wait for the purge of the entries behind it, then compact the
 * whole store; bytes before and after.
 */
async function defragment(
  node: RaftKvNode,
  dataDir: DataDir,
  log: Logger,
): Promise<{ dbSizeBefore: number; dbSizeAfter: number }> {
  if (dataDir.space.status.state === "full") throw new NodeError("RAFTKV_DISK_FULL");
  const startMs = Date.now();
  const before = await dataDir.size.measure();
  const firstIndex = await node.snapshotNow();
  // The entries behind the new log start are deleted in the background (a range delete): wait for
  // it, or the compaction below runs beside it and the tombstones it writes outlive the compaction.
  await dataDir.raftLog.purged();
  await compacting(dataDir).compactRange(ALL_KEYS.start, ALL_KEYS.end);
  const after = await dataDir.size.measure();
  log.info(
    {
      dbSizeBefore: before.dbSize,
      dbSizeAfter: after.dbSize,
      freedBytes: before.dbSize - after.dbSize,
      logFirstIndex: firstIndex,
      ms: Date.now() - startMs,
    },
    "defragmented",
  );
  return { dbSizeBefore: before.dbSize, dbSizeAfter: after.dbSize };
}

/**
 * After a physical compaction: compacts the KV keyspace in LevelDB so the deleted history leaves
 * the disk (LevelDB only drops deleted keys when it compacts the tables holding them).
 */
export function compactFreedRanges(dataDir: DataDir, log: Logger, revision: number): void {
  oneAtATime(dataDir, async () => {
    const before: StoreSize = await dataDir.size.measure();
    await compacting(dataDir).compactRange(KV_RANGE.start, KV_RANGE.end);
    const after = await dataDir.size.measure();
    log.info(
      { revision, dbSizeBefore: before.dbSize, dbSizeAfter: after.dbSize },
      "compaction gave space back",
    );
  }).catch((err: unknown) => log.warn({ err, revision }, "compacting the freed ranges failed"));
}

/**
 * Runs `open` (opening the data dir and what follows) until it does not fail for lack of space.
 * Meanwhile /readyz on `listenMetrics` answers 503 with the reason (and /livez 200), and every
 * attempt is logged. Other errors are thrown as they come.
 */
export async function untilSpace<T>(
  open: () => Promise<T>,
  where: { readonly dataDir: string; readonly listenMetrics: string },
  log: Logger,
  backoff: { readonly minMs: number; readonly maxMs: number } = { minMs: 200, maxMs: 5000 },
): Promise<T> {
  let delayMs = backoff.minMs;
  let reason = "";
  let attempts = 0;
  let probe: { close(): Promise<void> } | null = null;
  try {
    for (;;) {
      try {
        return await open();
      } catch (err) {
        if (!isNoSpaceError(err)) throw err;
        attempts++;
        reason =
          `no space left on device in ${where.dataDir}: cannot open the data dir ` +
          `(attempt ${attempts}, retrying): ${(err as Error).message}`;
        log.warn({ err, attempt: attempts, retryInMs: delayMs }, "no space left on device: cannot start yet");
        if (probe === null && where.listenMetrics !== "")
          probe = await startProbe(where.listenMetrics, () => reason).catch((e: unknown) => {
            log.warn({ err: e }, "cannot serve /readyz while waiting for space");
            return null;
          });
      }
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(backoff.maxMs, delayMs * 2);
    }
  } finally {
    await probe?.close();
    if (attempts > 0) log.info({ attempts }, "disk space is back: starting");
  }
}

/** A stand-in for the metrics endpoint while the member cannot start: not ready, but alive. */
function startProbe(listen: string, reason: () => string): Promise<{ close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path === "/livez") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz" || path === "/healthz" || path === "/health") {
      response
        .writeHead(503, { "content-type": "application/json", "cache-control": "no-store" })
        .end(`${JSON.stringify({ health: "false", reason: reason() })}\n`);
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  const { host, port } = parseListen(listen);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
