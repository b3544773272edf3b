// etcdserverpb.Lease over a LeaseApi (the node implements it: src/node/leases.ts). Grant and
// Revoke go through Raft; KeepAlive and TimeToLive are answered by the leader, which alone keeps
// the expiry clock (a follower forwards them); Leases lists the replicated table.

import type {
  ServerDuplexStream,
  ServerUnaryCall,
  sendUnaryData,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from "../kv/types.js";
import { type HandlerContext, unary } from "./call.js";

const SERVICE = "etcdserverpb.Lease";

/** gRPC metadata naming a keep-alive or TimeToLive forwarded by a follower (not forwarded again). */
export const FORWARDED_METADATA = "raftkv-forwarded";

export interface LeaseTimeToLive {
  /** Remaining seconds. */
  TTL: number;
  grantedTTL: number;
  keys: Buffer[];
}

/** What the Lease service needs from the node. Rejections are mapped like every other error. */
export interface LeaseApi {
  /** Proposes a grant (`id` 0: the server picks one); resolves once applied here. */
  grant(ttlSeconds: number, id: number): Promise<{ ID: number; TTL: number; revision: number }>;
  /** Proposes a revoke; rejects with "requested lease not found" for an unknown lease. */
  revoke(id: number): Promise<{ revision: number }>;
  /**
   * Renews a lease on the leader (forwarded there from a follower, unless `forwarded`): its new
   * TTL, or 0 when the lease is unknown or already expired.
   */
  keepAlive(id: number, forwarded: boolean): Promise<number>;
  /** The leader's view of a lease; null when unknown or expired. */
  timeToLive(id: number, keys: boolean, forwarded: boolean): Promise<LeaseTimeToLive | null>;
  /** The live leases (replicated state), ascending. */
  leases(): number[];
}

/** Keep-alive requests of one stream waiting to be answered; past it the stream stops reading. */
const KEEPALIVE_QUEUE_MAX = 64;

type TimeToLiveRequest = LeaseTimeToLiveRequest & { forwarded?: boolean };

/** `openStreams`: each open keep-alive stream registers a function that ends it (server shutdown). */
export function leaseService(
  context: HandlerContext,
  api: LeaseApi,
  openStreams: Set<() => void> = new Set(),
): UntypedServiceImplementation {
  const timeToLive = unary(
    context,
    SERVICE,
    "LeaseTimeToLive",
    async (request: TimeToLiveRequest, call): Promise<LeaseTimeToLiveResponse> => {
      context.auth?.checkLeaseTimeToLive(call, request.ID);
      const found = await api.timeToLive(request.ID, request.keys, request.forwarded === true);
      // etcd answers an unknown lease with TTL -1, not an error.
      if (found === null)
        return { header: context.header(), ID: request.ID, TTL: -1, grantedTTL: 0, keys: [] };
      return { header: context.header(), ID: request.ID, ...found };
    },
  );
  return {
    LeaseGrant: unary(
      context,
      SERVICE,
      "LeaseGrant",
      async (request: LeaseGrantRequest, call): Promise<LeaseGrantResponse> => {
        context.auth?.checkToken(call);
        const granted = await api.grant(request.TTL, request.ID);
        return { header: context.header(granted.revision), ID: granted.ID, TTL: granted.TTL, error: "" };
      },
    ),
    LeaseRevoke: unary(
      context,
      SERVICE,
      "LeaseRevoke",
      async (request: LeaseRevokeRequest, call): Promise<LeaseRevokeResponse> => {
        context.auth?.checkLeaseRevoke(call, request.ID);
        const revoked = await api.revoke(request.ID);
        return { header: context.header(revoked.revision) };
      },
    ),
    LeaseTimeToLive: (
      call: ServerUnaryCall<TimeToLiveRequest, LeaseTimeToLiveResponse>,
      callback: sendUnaryData<LeaseTimeToLiveResponse>,
    ): void => {
      call.request.forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
      timeToLive(call, callback);
    },
    LeaseLeases: unary(context, SERVICE, "LeaseLeases", (_request: object, call): LeaseLeasesResponse => {
      context.auth?.checkToken(call);
      return { header: context.header(), leases: api.leases().map((ID) => ({ ID })) };
    }),
    LeaseKeepAlive: keepAliveHandler(context, api, openStreams),
  };
}

/**
 * One response per request, in request order (as etcd's loop: receive, renew, send). A renewal
 * that fails for another reason than an unknown lease ends the stream with that error, as etcd.
 */
function keepAliveHandler(context: HandlerContext, api: LeaseApi, openStreams: Set<() => void>) {
  const metrics = context.bind("bidi_stream", SERVICE, "LeaseKeepAlive");
  return (call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>): void => {
    const startMs = performance.now();
    const forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
    const queue: number[] = [];
    let working = false;
    let finished = false;
    let ended = false;
    const finish = (code: status, error?: { code: number; details: string }): void => {
      if (finished) return;
      finished = true;
      openStreams.delete(stop);
      metrics.done(startMs, code);
      if (error !== undefined) call.emit("error", error);
    };
    const stop = (): void =>
      finish(status.UNAVAILABLE, { code: status.UNAVAILABLE, details: "etcdserver: server stopped" });
    openStreams.add(stop);
    const work = async (): Promise<void> => {
      working = true;
      while (queue.length > 0 && !finished) {
        const id = queue.shift()!;
        if (queue.length < KEEPALIVE_QUEUE_MAX / 2) call.resume();
        try {
          const ttl = await api.keepAlive(id, forwarded);
          if (!finished) call.write({ header: context.header(), ID: id, TTL: ttl });
        } catch (err) {
          const mapped = context.statusFor(err, "LeaseKeepAlive");
          finish(mapped.code, mapped);
        }
      }
      working = false;
      if (ended) endStream();
    };
    const endStream = (): void => {
      if (finished) return;
      finish(status.OK);
      call.end();
    };
    call.on("data", (request: LeaseKeepAliveRequest) => {
      if (finished) return;
      queue.push(request.ID);
      if (queue.length >= KEEPALIVE_QUEUE_MAX) call.pause();
      if (!working) void work();
    });
    // The client is done sending: answer what it sent, then end the stream.
    call.on("end", () => {
      ended = true;
      if (!working) endStream();
    });
    call.on("cancelled", () => finish(status.CANCELLED));
    call.on("error", () => finish(status.CANCELLED));
  };
}
