// etcdserverpb.Maintenance: Status, Hash, HashKV, Snapshot (a stream), MoveLeader, Alarm (ACTIVATE
// and DEACTIVATE through Raft, GET from the replicated state after a read barrier) and Defragment
// (the node's MaintenanceApi: compacts the store and reports the bytes before and after).

import { createHash } from "node:crypto";
import type { ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { type HandlerContext, unary } from "./call.js";
import { ETCD_API_VERSION } from "./version.js";
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  HeaderOnlyResponse,
  MoveLeaderRequest,
  SnapshotResponse,
  StatusResponse,
} from "./wire.js";

const SERVICE = "etcdserverpb.Maintenance";

/** What Maintenance needs beyond the ApiBackend. */
export interface MaintenanceApi {
  /** Gives this member's free disk space back; the store's bytes before and after. */
  defragment(): Promise<{ dbSizeBefore: number; dbSizeAfter: number }>;
}

export function maintenanceService(
  context: HandlerContext,
  maintenance?: MaintenanceApi,
): UntypedServiceImplementation {
  const backend = context.backend;
  const headerOnly = (): HeaderOnlyResponse => ({ header: context.header() });
  /** The hash and the revision it covers (the store's own pairing when it has one). */
  const hashWithRevision = async (): Promise<{ hash: number; revision: number }> => {
    const kv = backend.kv;
    if (kv.hashKVAt !== undefined) return kv.hashKVAt();
    const revision = kv.revision;
    return { hash: await kv.hashKV(), revision };
  };
  return {
    Status: unary(context, SERVICE, "Status", (): StatusResponse => {
      const node = backend.status();
      return {
        header: context.header(),
        // The etcd API level (clients gate features on it); raftkv's own version is in /metrics.
        version: ETCD_API_VERSION,
        dbSize: node.dbSize,
        leader: node.leader,
        raftIndex: node.raftIndex,
        raftTerm: node.raftTerm,
        raftAppliedIndex: node.raftAppliedIndex,
        // As etcd: every active alarm is an error, in protobuf's text form (zero fields left out).
        errors: [
          ...node.errors,
          ...(backend.kv.alarms?.("NONE") ?? []).map(
            (a) => `${a.memberID === 0 ? "" : `memberID:${a.memberID} `}alarm:${a.alarm} `,
          ),
        ],
        dbSizeInUse: node.dbSizeInUse ?? node.dbSize,
        isLearner: node.isLearner,
        storageVersion: "",
        dbSizeQuota: node.dbSizeQuota ?? 0,
      };
    }),
    Hash: unary(context, SERVICE, "Hash", async (): Promise<HashResponse> => {
      const { hash, revision } = await hashWithRevision();
      return { header: context.header(revision), hash };
    }),
    HashKV: unary(context, SERVICE, "HashKV", async (_request: HashKVRequest): Promise<HashKVResponse> => {
      // The hash covers the newest revision; a request for an older one gets the newest too and
      // hashRevision says which (clients compare hashes at equal hashRevision).
      const { hash, revision } = await hashWithRevision();
      const compactRevision = backend.kv.compactedRevision;
      return { header: context.header(revision), hash, compactRevision, hashRevision: revision };
    }),
    Alarm: unary(context, SERVICE, "Alarm", async (request: AlarmRequest): Promise<AlarmResponse> => {
      if (request.action === "GET") {
        await backend.readBarrier();
        return { header: context.header(), alarms: backend.kv.alarms?.(request.alarm) ?? [] };
      }
      const response = (await backend.propose("alarm", request)) as AlarmResponse;
      return { header: context.header(), alarms: response.alarms };
    }),
    Defragment: unary(context, SERVICE, "Defragment", async (): Promise<DefragmentResponse> => {
      if (maintenance === undefined) return headerOnly();
      const sizes = await maintenance.defragment();
      return { header: context.header(), ...sizes };
    }),
    MoveLeader: unary(context, SERVICE, "MoveLeader", async (request: MoveLeaderRequest) => {
      await backend.moveLeader(request.targetID);
      return headerOnly();
    }),
    Snapshot: snapshotHandler(context),
  };
}

function snapshotHandler(context: HandlerContext) {
  const metrics = context.bind("server_stream", SERVICE, "Snapshot");
  return (call: ServerWritableStream<object, SnapshotResponse>): void => {
    const startMs = performance.now();
    streamSnapshot(context, call).then(
      () => {
        metrics.done(startMs, status.OK);
        call.end();
      },
      (error: unknown) => {
        const mapped = context.statusFor(error, "Snapshot");
        metrics.done(startMs, mapped.code);
        call.emit("error", mapped);
      },
    );
  };
}

/** etcd appends a SHA-256 to the snapshot, after padding the data to a multiple of 512 bytes. */
const SNAPSHOT_ALIGN_BYTES = 512;
const SHA256_BYTES = 32;

/**
 * Streams the backend's snapshot in etcd's framing, so `etcdctl snapshot save` accepts it: the
 * chunks as they come, then zero padding to a multiple of 512 bytes and the SHA-256 of all of that
 * (etcdctl checks size % 512 == 32; `snapshot restore` checks the digest). A raftkv reader strips
 * the last 32 bytes and the padding (zeros after the data's own trailer). The total is not known
 * up front: remainingBytes is a lower bound (the digest still to come) until the last message,
 * which says 0. Stops early when the client goes away; waits for "drain" to bound buffering.
 */
async function streamSnapshot(context: HandlerContext, call: ServerWritableStream<object, SnapshotResponse>) {
  let gone = false;
  const onGone = () => {
    gone = true;
  };
  call.once("cancelled", onGone);
  call.once("close", onGone);
  const iterator = context.backend.snapshot()[Symbol.asyncIterator]();
  const digest = createHash("sha256");
  let total = 0;
  let finished = false;
  try {
    const send = async (message: SnapshotResponse) => {
      if (total === 0) {
        message.header = context.header();
        message.version = ETCD_API_VERSION;
      }
      total += message.blob.length;
      if (!call.write(message)) await drained(call);
    };
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      if (gone) return;
      digest.update(next.value);
      await send({ remainingBytes: SHA256_BYTES, blob: next.value, version: "" });
    }
    finished = true;
    const padding = Buffer.alloc(
      (SNAPSHOT_ALIGN_BYTES - (total % SNAPSHOT_ALIGN_BYTES)) % SNAPSHOT_ALIGN_BYTES,
    );
    digest.update(padding);
    if (!gone)
      await send({ remainingBytes: 0, blob: Buffer.concat([padding, digest.digest()]), version: "" });
  } finally {
    call.off("cancelled", onGone);
    call.off("close", onGone);
    if (!finished) await iterator.return?.();
  }
}

function drained(call: ServerWritableStream<object, SnapshotResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      call.off("cancelled", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
    call.on("cancelled", done);
  });
}
