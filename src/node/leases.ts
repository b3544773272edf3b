// Leases on one member: the Lease API (src/api/lease-service.ts) over the replicated lease table
// (src/kv/lease.ts) and, on the leader, the expiry clock (./lease-clock.ts).
//
// - Grant and Revoke are proposed through Raft; the ID of a grant is chosen here (before the
//   entry exists) and its TTL raised to the minimum (1.5 election timeouts, as etcd), so applying
//   it is deterministic.
// - Expiry is decided by the leader alone: it proposes LeaseRevoke for the leases its clock finds
//   expired (the revoke deletes the keys in the same entry). Followers never expire anything.
// - A new leader restarts every lease's clock from its TTL (or checkpointed remaining TTL) plus an
//   election timeout (etcd's Promote), so a failover never expires a lease that was kept alive.
// - KeepAlive and TimeToLive need the clock: a follower forwards them to the leader's client URL
//   (marked forwarded, so a member that is no longer leader refuses instead of forwarding on),
//   retrying until the request timeout while leadership moves.
// - Checkpoints (etcd's lease checkpointing): every checkpointIntervalMs the leader proposes the
//   remaining TTL of leases longer than that interval; a renewal clears a checkpoint.

import { randomInt } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { ChannelCredentials } from "@grpc/grpc-js";
import { NodeError } from "../api/errors.js";
import type { LeaseApi, LeaseTimeToLive } from "../api/lease-service.js";
import { FORWARDED_METADATA } from "../api/lease-service.js";
import { EtcdClientError } from "../client/client.js";
import { LeaseClient } from "../client/lease.js";
import { isKvError, KvError } from "../kv/errors.js";
import type { Lease } from "../kv/lease.js";
import { MAX_LEASE_TTL_SECONDS } from "../kv/lease.js";
import type { AppliedBatch } from "../kv/mvcc.js";
import type {
  LeaseCheckpoint,
  LeaseGrantResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
} from "../kv/types.js";
import { LeaseClock } from "./lease-clock.js";
import type { Logger } from "./logger.js";

/** The part of KvStateMachine leases use. */
export interface LeaseStore {
  readonly appliedIndex: number;
  lease(id: number): Lease | undefined;
  leaseIds(): number[];
  onApplied(listener: (batch: AppliedBatch) => void): () => void;
}

export type LeaseProposalKind = "leaseGrant" | "leaseRevoke" | "leaseCheckpoint";

export interface LeaseManagerOptions {
  readonly kv: LeaseStore;
  readonly propose: (kind: LeaseProposalKind, request: object) => Promise<object>;
  readonly isLeader: () => boolean;
  /** Last committed Raft index (a new leader waits to apply it before answering "not found"). */
  readonly commitIndex: () => number;
  /** Calls `fn` when this member gains or loses leadership; returns an unsubscribe function. */
  readonly onLeadershipChange: (fn: (leader: boolean) => void) => () => void;
  /** host:port of the leader's client API, null when unknown. */
  readonly leaderClientAddress: () => string | null;
  /** Credentials for the leader's client port (TLS); default plain text. */
  readonly clientCredentials?: ChannelCredentials;
  readonly electionTimeoutMs: number;
  /** How often a forwarded call waiting for a leader is retried. */
  readonly retryMs: number;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  /** Default: etcd's, ceil(1.5 × election timeout) seconds. */
  readonly minTtlSeconds?: number;
  /** Default 5 min (etcd's lease checkpoint interval); 0 disables checkpoints. */
  readonly checkpointIntervalMs?: number;
  /** How often the leader looks for expired leases. Default 500 ms (etcd's). */
  readonly expiryCheckMs?: number;
  /** Revokes proposed per check. Default 500 (etcd: 1000/s). */
  readonly maxRevokesPerCheck?: number;
  readonly now?: () => number;
  readonly randomId?: () => number;
}

const CHECKPOINTS_PER_ENTRY = 1000;

/** A positive lease ID below 2^53, from crypto randomness. */
function randomLeaseId(): number {
  for (;;) {
    const id = randomInt(2 ** 21) * 2 ** 32 + randomInt(2 ** 32);
    if (id > 0) return id;
  }
}

/** Errors of a forwarded call worth retrying (the leader moved or is not reachable yet). */
function retryable(err: unknown): boolean {
  if (!(err instanceof EtcdClientError)) return false;
  // CANCELLED (stream dropped), DEADLINE_EXCEEDED, UNAVAILABLE (no leader, leader changed, down).
  return err.code === 1 || err.code === 4 || err.code === 14;
}

export class LeaseManager implements LeaseApi {
  readonly #o: LeaseManagerOptions;
  readonly #clock = new LeaseClock();
  readonly #now: () => number;
  readonly #minTtl: number;
  readonly #checkpointIntervalMs: number;
  /** Leases whose revoke is proposed and not yet applied or failed. */
  readonly #revoking = new Set<number>();
  readonly #forwarders = new Map<string, LeaseClient>();
  readonly #unsubscribe: (() => void)[] = [];
  #expiryTimer: NodeJS.Timeout | null = null;
  #checkpointTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: LeaseManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#minTtl = options.minTtlSeconds ?? Math.ceil((1.5 * options.electionTimeoutMs) / 1000);
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? 5 * 60_000;
  }

  /** Minimum TTL a grant gets, seconds. */
  get minTtlSeconds(): number {
    return this.#minTtl;
  }

  /** The leader's clock (read-only use: tests, status). */
  get clock(): LeaseClock {
    return this.#clock;
  }

  start(): void {
    this.#unsubscribe.push(this.#o.kv.onApplied((batch) => this.#onApplied(batch)));
    this.#unsubscribe.push(this.#o.onLeadershipChange((leader) => this.#onLeadership(leader)));
    if (this.#o.isLeader()) this.#onLeadership(true);
    this.#expiryTimer = setInterval(() => this.#revokeExpired(), this.#o.expiryCheckMs ?? 500);
    this.#expiryTimer.unref();
    if (this.#checkpointIntervalMs > 0) {
      this.#checkpointTimer = setInterval(() => this.#checkpoint(), this.#checkpointIntervalMs);
      this.#checkpointTimer.unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#expiryTimer !== null) clearInterval(this.#expiryTimer);
    if (this.#checkpointTimer !== null) clearInterval(this.#checkpointTimer);
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const client of this.#forwarders.values()) client.close();
    this.#forwarders.clear();
    this.#clock.demote();
  }

  // ---- LeaseApi ----

  async grant(ttlSeconds: number, id: number): Promise<{ ID: number; TTL: number; revision: number }> {
    if (ttlSeconds > MAX_LEASE_TTL_SECONDS) throw new KvError("RAFTKV_LEASE_TTL_TOO_LARGE");
    if (id < 0 || !Number.isSafeInteger(id)) throw new KvError("RAFTKV_LEASE_NOT_FOUND");
    const ttl = Math.max(Math.floor(ttlSeconds), this.#minTtl);
    for (let attempt = 0; ; attempt++) {
      const chosen = id !== 0 ? id : (this.#o.randomId ?? randomLeaseId)();
      try {
        const r = (await this.#o.propose("leaseGrant", { ID: chosen, TTL: ttl })) as LeaseGrantResponse;
        return { ID: r.ID, TTL: r.TTL, revision: r.header?.revision ?? 0 };
      } catch (err) {
        // A randomly chosen ID that is taken: choose again (a client's own ID is its problem).
        if (id === 0 && attempt < 3 && isKvError(err, "RAFTKV_LEASE_EXISTS")) continue;
        throw err;
      }
    }
  }

  async revoke(id: number): Promise<{ revision: number }> {
    const r = (await this.#o.propose("leaseRevoke", { ID: id })) as LeaseRevokeResponse;
    return { revision: r.header?.revision ?? 0 };
  }

  keepAlive(id: number, forwarded: boolean): Promise<number> {
    return this.#atLeader(
      forwarded,
      (deadline) => this.#renew(id, deadline),
      async (client, timeoutMs) => (await client.keepAlive(id, timeoutMs)).TTL,
    );
  }

  timeToLive(id: number, keys: boolean, forwarded: boolean): Promise<LeaseTimeToLive | null> {
    return this.#atLeader(
      forwarded,
      (deadline) => this.#timeToLive(id, keys, deadline),
      async (client, timeoutMs) => fromWire(await client.timeToLive(id, keys, timeoutMs)),
    );
  }

  leases(): number[] {
    return this.#o.kv.leaseIds();
  }

  // ---- Leader side ----

  async #renew(id: number, deadline: number): Promise<number> {
    const lease = await this.#lookup(id, deadline);
    if (lease === undefined) return 0;
    if (!this.#clock.renew(id, lease.ttl, this.#now())) return 0;
    if (lease.remainingTtl > 0 && this.#checkpointIntervalMs > 0) {
      // A checkpoint would make a new leader start this lease from a stale remaining TTL.
      this.#proposeCheckpoints([{ ID: id, remaining_TTL: 0 }]);
    }
    return lease.ttl;
  }

  async #timeToLive(id: number, keys: boolean, deadline: number): Promise<LeaseTimeToLive | null> {
    const lease = await this.#lookup(id, deadline);
    if (lease === undefined) return null;
    const remainingMs = this.#clock.remainingMs(id, this.#now()) ?? lease.ttl * 1000;
    if (remainingMs <= 0) return null;
    return {
      // etcd truncates: a lease of 10 s asked right after its grant has 9 s left.
      TTL: Math.floor(remainingMs / 1000),
      grantedTTL: lease.ttl,
      keys: keys ? [...lease.keys].sort().map((name) => Buffer.from(name, "latin1")) : [],
    };
  }

  /** The lease, once this member has applied everything committed when asked (a fresh grant). */
  async #lookup(id: number, deadline: number): Promise<Lease | undefined> {
    const found = this.#o.kv.lease(id);
    if (found !== undefined) return found;
    const target = this.#o.commitIndex();
    while (this.#o.kv.appliedIndex < target && Date.now() < deadline && !this.#stopped) {
      await delay(Math.max(1, Math.floor(this.#o.retryMs / 4)));
    }
    return this.#o.kv.lease(id);
  }

  #onApplied(batch: AppliedBatch): void {
    const now = this.#now();
    if (batch.snapshot) {
      if (this.#clock.active) this.#promote();
      return;
    }
    for (const id of batch.leases.granted) {
      const lease = this.#o.kv.lease(id);
      if (lease !== undefined) this.#clock.granted(id, lease.ttl, now);
    }
    for (const id of batch.leases.revoked) {
      this.#clock.revoked(id);
      this.#revoking.delete(id);
    }
  }

  #onLeadership(leader: boolean): void {
    if (leader && !this.#clock.active) {
      this.#promote();
      this.#o.logger.info({ leases: this.#clock.size }, "lease clock started (leader)");
    } else if (!leader && this.#clock.active) {
      this.#clock.demote();
      this.#revoking.clear();
    }
  }

  #promote(): void {
    const leases: Lease[] = [];
    for (const id of this.#o.kv.leaseIds()) {
      const lease = this.#o.kv.lease(id);
      if (lease !== undefined) leases.push(lease);
    }
    this.#clock.promote(this.#now(), leases, this.#o.electionTimeoutMs);
  }

  #revokeExpired(): void {
    if (!this.#clock.active || !this.#o.isLeader()) return;
    const expired = this.#clock.expired(this.#now(), this.#o.maxRevokesPerCheck ?? 500, this.#revoking);
    for (const id of expired) {
      this.#revoking.add(id);
      this.#o.logger.debug({ lease: id }, "lease expired: revoking");
      this.#o.propose("leaseRevoke", { ID: id }).then(
        () => this.#revoking.delete(id),
        (err: unknown) => {
          this.#revoking.delete(id);
          // Already revoked (by a client, or a revoke an earlier leader proposed): forget it.
          if (isKvError(err, "RAFTKV_LEASE_NOT_FOUND")) this.#clock.revoked(id);
        },
      );
    }
  }

  #checkpoint(): void {
    if (!this.#clock.active || !this.#o.isLeader()) return;
    const now = this.#now();
    const checkpoints: LeaseCheckpoint[] = [];
    for (const [id, deadline] of this.#clock.entries()) {
      const lease = this.#o.kv.lease(id);
      if (lease === undefined || lease.ttl * 1000 <= this.#checkpointIntervalMs) continue;
      const remaining = Math.max(1, Math.ceil((deadline - now) / 1000));
      // A lease with its whole TTL left needs no checkpoint (0: start from the TTL).
      const stored = remaining >= lease.ttl ? 0 : remaining;
      if (stored !== lease.remainingTtl) checkpoints.push({ ID: id, remaining_TTL: stored });
    }
    for (let at = 0; at < checkpoints.length; at += CHECKPOINTS_PER_ENTRY) {
      this.#proposeCheckpoints(checkpoints.slice(at, at + CHECKPOINTS_PER_ENTRY));
    }
  }

  #proposeCheckpoints(checkpoints: LeaseCheckpoint[]): void {
    this.#o.propose("leaseCheckpoint", { checkpoints }).catch((err: unknown) => {
      this.#o.logger.debug({ err }, "lease checkpoint not applied");
    });
  }

  // ---- Forwarding ----

  /**
   * Runs `local` when this member leads; otherwise forwards to the leader, retrying while no
   * leader is known or the leader moves, until the request timeout.
   */
  async #atLeader<T>(
    forwarded: boolean,
    local: (deadline: number) => Promise<T>,
    remote: (client: LeaseClient, timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    // Request deadlines are wall-clock time; `now` (injectable) is the lease clock's.
    const deadline = Date.now() + this.#o.requestTimeoutMs;
    let lastError: unknown;
    for (;;) {
      if (this.#stopped) throw new NodeError("RAFTKV_STOPPING");
      if (this.#o.isLeader() && this.#clock.active) return local(deadline);
      // Forwarded here by a member that thought this one leads: it retries with the real leader.
      if (forwarded) throw new NodeError("RAFTKV_LEADER_CHANGED");
      const address = this.#o.leaderClientAddress();
      const left = deadline - Date.now();
      if (address !== null && left > 0) {
        try {
          return await remote(this.#forwarder(address), left);
        } catch (err) {
          if (!retryable(err)) throw err;
          lastError = err;
        }
      }
      if (Date.now() >= deadline) {
        if (lastError instanceof EtcdClientError) throw lastError;
        throw new NodeError(address === null ? "RAFTKV_NO_LEADER" : "RAFTKV_TIMEOUT");
      }
      await delay(this.#o.retryMs);
    }
  }

  #forwarder(address: string): LeaseClient {
    let client = this.#forwarders.get(address);
    if (client === undefined) {
      client = new LeaseClient(address, {
        timeoutMs: this.#o.requestTimeoutMs,
        metadata: { [FORWARDED_METADATA]: "1" },
        credentials: this.#o.clientCredentials,
      });
      this.#forwarders.set(address, client);
    }
    return client;
  }
}

function fromWire(r: LeaseTimeToLiveResponse): LeaseTimeToLive | null {
  if (r.TTL < 0) return null;
  return { TTL: r.TTL, grantedTTL: r.grantedTTL, keys: r.keys };
}
