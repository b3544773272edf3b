// Backup files (`etcdctl snapshot save` against raftkv): checking one, and building a new member's
// data dir from one — raftkv's `snapshot status` and `snapshot restore`, the disaster-recovery path
// etcdctl offers for etcd's own format.
//
// A saved file is the KV snapshot stream (src/kv/snapshot-format.ts), zero-padded to a multiple
// of 512 bytes, then the SHA-256 of all of that (src/api/maintenance-service.ts).
//
// Restore imports the KV data (every key, every revision kept, leases), then starts a new cluster
// on it: the old membership and alarms are dropped, the applied index goes back to 0, and the
// Raft log gets the bootstrap entries of the members given — as a fresh `--peers` start writes
// them. Every member of the new cluster is restored from the same file with the same --peers and
// --cluster-token, then started with those flags; its cluster ID is derived from them, so it is
// new unless both are the old cluster's (use a new token).

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { type KvDatabase, KvStateMachine } from "../kv/index.js";
import { ALARM_RANGE, MEMBER_RANGE, META_APPLIED, u64Bytes } from "../kv/layout.js";
import { SNAPSHOT_VERSION } from "../kv/snapshot-format.js";
import { bootstrap } from "../raft/index.js";
import { dataDirState, openDataDir, restoreMemoryStorage } from "../storage/index.js";
import { clusterIdOf, hex, memberIdOf } from "./ids.js";
import { encodeMemberContext } from "./members.js";

const SHA256_BYTES = 32;

export class SnapshotFileError extends Error {
  override readonly name = "SnapshotFileError";
}

/** Checks the file's SHA-256 trailer; the length of what it covers. */
async function checkDigest(path: string): Promise<{ size: number; dataBytes: number }> {
  const { size } = await stat(path);
  if (size < SHA256_BYTES + 1 || (size - SHA256_BYTES) % 512 !== 0) {
    throw new SnapshotFileError(
      `${path} is not a raftkv snapshot file: ${size} bytes (expected a multiple of 512 and a 32-byte SHA-256)`,
    );
  }
  const dataBytes = size - SHA256_BYTES;
  const digest = createHash("sha256");
  for await (const chunk of createReadStream(path, { start: 0, end: dataBytes - 1 })) digest.update(chunk);
  const expected = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    createReadStream(path, { start: dataBytes })
      .on("data", (c) => parts.push(c as Buffer))
      .on("end", () => resolve(Buffer.concat(parts)))
      .on("error", reject);
  });
  if (!digest.digest().equals(expected)) {
    throw new SnapshotFileError(`${path}: SHA-256 mismatch (the file is damaged or truncated)`);
  }
  return { size, dataBytes };
}

/** The KV stream of a checked file (without the digest). */
function kvStream(path: string, dataBytes: number): AsyncIterable<Uint8Array> {
  return createReadStream(path, { start: 0, end: dataBytes - 1, highWaterMark: 256 * 1024 });
}

export interface SnapshotStatus {
  /** CRC-32 of the latest state, as Maintenance.HashKV answers at this revision. */
  readonly hash: number;
  readonly revision: number;
  /** Live keys at the revision. */
  readonly totalKey: number;
  /** Bytes of the file. */
  readonly totalSize: number;
  /** The KV snapshot stream's format version. */
  readonly version: number;
  readonly compactRevision: number;
}

/** Reads and checks a snapshot file (digest, stream checksum, the store it holds). */
export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  const { size, dataBytes } = await checkDigest(path);
  const scratch = await mkdtemp(join(tmpdir(), "raftkv-snapshot-status-"));
  const db = new Level<Buffer, Buffer>(scratch, { keyEncoding: "buffer", valueEncoding: "buffer" });
  try {
    await db.open();
    const kv = await KvStateMachine.open(db as unknown as KvDatabase);
    try {
      await kv.importSnapshot(kvStream(path, dataBytes), 0, { zeroPadding: true });
      return {
        hash: await kv.hashKV(),
        revision: kv.revision,
        totalKey: kv.size,
        totalSize: size,
        version: SNAPSHOT_VERSION,
        compactRevision: kv.compactedRevision,
      };
    } finally {
      await kv.close();
    }
  } catch (err) {
    if (err instanceof SnapshotFileError) throw err;
    throw new SnapshotFileError(`${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await db.close().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface RestoreOptions {
  readonly file: string;
  readonly name: string;
  readonly dataDir: string;
  /** name → host:port of every member of the new cluster, this one included. */
  readonly peers: ReadonlyMap<string, string>;
  readonly clusterToken: string;
}

export interface RestoreResult {
  readonly clusterId: string;
  readonly memberId: string;
  readonly revision: number;
  readonly keys: number;
}

/** Builds `dataDir` (which must not exist yet) for member `name` of a new cluster from `file`. */
export async function restoreSnapshot(o: RestoreOptions): Promise<RestoreResult> {
  if (!o.peers.has(o.name)) {
    throw new SnapshotFileError(`--peers does not list this member's --name "${o.name}"`);
  }
  if ((await dataDirState(o.dataDir)) !== "absent") {
    throw new SnapshotFileError(`data dir ${o.dataDir} already holds a store; restore into a new one`);
  }
  const { dataBytes } = await checkDigest(o.file);
  const names = [...o.peers.keys()];
  const clusterId = clusterIdOf(o.clusterToken, names);
  const memberId = memberIdOf(o.clusterToken, o.name);
  const dataDir = await openDataDir(o.dataDir, { name: o.name, clusterId, memberId, create: true });
  try {
    const kv = await KvStateMachine.open(dataDir.kv);
    let result: RestoreResult;
    try {
      await kv.importSnapshot(kvStream(o.file, dataBytes), 0, { zeroPadding: true });
      result = { clusterId: hex(clusterId), memberId: hex(memberId), revision: kv.revision, keys: kv.size };
    } finally {
      await kv.close();
    }
    // A new cluster: its own members (from the bootstrap entries below), no alarms, nothing applied.
    await dataDir.kv.clear({ gte: MEMBER_RANGE.gte, lt: MEMBER_RANGE.lt });
    await dataDir.kv.clear({ gte: ALARM_RANGE.gte, lt: ALARM_RANGE.lt });
    await dataDir.kv.batch([{ type: "put", key: META_APPLIED, value: u64Bytes(0) }]);
    const storage = restoreMemoryStorage(await dataDir.raftLog.load());
    const contexts = new Map(
      names.map((name) => [
        memberIdOf(o.clusterToken, name),
        encodeMemberContext({ name, peerURLs: [`http://${o.peers.get(name)}`], clientURLs: [] }),
      ]),
    );
    const entries = bootstrap(storage, [...contexts.keys()], contexts);
    await dataDir.raftLog.save({ hardState: storage.hardState(), entries, snapshot: null });
    return result;
  } finally {
    await dataDir.close();
  }
}
