// A small typed client of the etcd v3 API (raftkv's or etcd's own), used by the CLI, the
// benchmark and the tests.
//
// Failover: calls go to one endpoint at a time. A read (and any call that is safe to repeat) that
// fails with UNAVAILABLE is retried on the next endpoint until each was tried once or the call's
// deadline passed. A write is retried only when it surely was not applied: the connection was
// never made, or the server answered "no leader" (it refuses before proposing). A write that timed
// out or lost its leader may have been applied: the error goes to the caller, as with clientv3.

import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials as grpcCredentials,
  Metadata,
  type MethodDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { type ApiServices, apiServices } from "../api/proto.js";
import type {
  AlarmResponse,
  DefragmentResponse,
  HashKVResponse,
  HashResponse,
  HeaderOnlyResponse,
  HealthCheckResponse,
  MemberAddResponse,
  MemberListResponse,
  MembersResponse,
  SnapshotResponse,
  StatusResponse,
} from "../api/wire.js";
import type {
  CompactionResponse,
  DeleteRangeResponse,
  PutResponse,
  RangeResponse,
  TxnResponse,
} from "../kv/types.js";
import type { Bytes } from "./keys.js";
import {
  type DeleteOptions,
  deleteRequest,
  type GetOptions,
  type PutOptions,
  putRequest,
  rangeRequest,
  type TxnInput,
} from "./txn.js";

export interface EtcdClientOptions {
  /** Deadline of each call, failover included. Default 5000. */
  timeoutMs?: number;
  /** Default: insecure, or TLS with the system roots when an endpoint starts with https://. */
  credentials?: ChannelCredentials;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

/** How a call may be retried on another endpoint. */
type RetryPolicy = "repeatable" | "write";

/** A failed call: `code` is the gRPC status, `details` the server's message (etcd's text). */
export class EtcdClientError extends Error {
  readonly code: status;
  readonly details: string;
  readonly endpoint: string;
  constructor(code: status, details: string, endpoint: string, options?: { cause?: unknown }) {
    super(details, options);
    this.name = "EtcdClientError";
    this.code = code;
    this.details = details;
    this.endpoint = endpoint;
  }
}

const DEFAULT_TIMEOUT_MS = 5000;

/** "http://host:port", "https://host:port/" or "host:port" → "host:port". */
export function endpointAddress(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
}

/** Errors that prove the request never reached a server, or was refused before any proposal. */
function surelyNotApplied(error: ServiceError): boolean {
  if (error.code !== status.UNAVAILABLE) return false;
  if (error.details === "etcdserver: no leader") return true;
  return /No connection established|ECONNREFUSED|Failed to connect|Name resolution failed|EHOSTUNREACH/i.test(
    error.details,
  );
}

function retryable(error: ServiceError, policy: RetryPolicy): boolean {
  if (policy === "write") return surelyNotApplied(error);
  return error.code === status.UNAVAILABLE;
}

export class EtcdClient {
  readonly #endpoints: readonly string[];
  readonly #clients = new Map<string, Client>();
  readonly #timeoutMs: number;
  readonly #credentials: ChannelCredentials | undefined;
  readonly #channelOptions: ChannelOptions;
  readonly #services: ApiServices = apiServices();
  readonly #tlsAddresses: ReadonlySet<string>;
  #current = 0;
  #closed = false;

  constructor(endpoints: readonly string[], options: EtcdClientOptions = {}) {
    if (endpoints.length === 0) throw new TypeError("EtcdClient needs at least one endpoint");
    this.#endpoints = endpoints.map((endpoint) => endpoint.trim());
    this.#tlsAddresses = new Set(this.#endpoints.filter((e) => /^https:\/\//i.test(e)).map(endpointAddress));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#credentials = options.credentials;
    // Responses are not bounded here (etcd's clientv3 does not bound them either): a large Range
    // must not fail on grpc-js's 4 MiB default.
    this.#channelOptions = { "grpc.max_receive_message_length": -1, ...options.channelOptions };
  }

  get endpoints(): readonly string[] {
    return this.#endpoints;
  }

  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResponse> {
    return this.#call(this.#services.kv.Put, putRequest(key, value, options), "write");
  }

  /** Range read; linearizable unless options.serializable. */
  get(key: Bytes, options?: GetOptions): Promise<RangeResponse> {
    return this.#call(this.#services.kv.Range, rangeRequest(key, options), "repeatable");
  }

  delete(key: Bytes, options?: DeleteOptions): Promise<DeleteRangeResponse> {
    return this.#call(this.#services.kv.DeleteRange, deleteRequest(key, options), "write");
  }

  /** See `cmp` and `op` in ./txn.ts for the builders of comparisons and operations. */
  txn(txn: TxnInput): Promise<TxnResponse> {
    return this.#call(this.#services.kv.Txn, txn, "write");
  }

  /** Compaction is idempotent: retried like a read. */
  compact(revision: number, options: { physical?: boolean } = {}): Promise<CompactionResponse> {
    return this.#call(
      this.#services.kv.Compact,
      { revision, physical: options.physical ?? false },
      "repeatable",
    );
  }

  memberList(options: { linearizable?: boolean } = {}): Promise<MemberListResponse> {
    const request = { linearizable: options.linearizable ?? false };
    return this.#call(this.#services.cluster.MemberList, request, "repeatable");
  }

  /**
   * Adds a member (etcd's MemberAdd) — a learner with `isLearner` — and resolves once the change is
   * applied. Membership changes are served by the leader: see leaderEndpoint(). `name` is a raftkv
   * extension (etcd ignores it).
   */
  async memberAdd(
    peerURLs: readonly string[],
    options: { isLearner?: boolean; name?: string } = {},
  ): Promise<MemberAddResponse> {
    const request = {
      peerURLs: [...peerURLs],
      isLearner: options.isLearner ?? false,
      name: options.name ?? "",
    };
    return this.#callOn(await this.leaderEndpoint(), this.#services.cluster.MemberAdd, request);
  }

  async memberRemove(id: number): Promise<MembersResponse> {
    return this.#callOn(await this.leaderEndpoint(), this.#services.cluster.MemberRemove, { ID: id });
  }

  /** Promotes a learner to a voter; refused until the learner has caught up with the leader. */
  async memberPromote(id: number): Promise<MembersResponse> {
    return this.#callOn(await this.leaderEndpoint(), this.#services.cluster.MemberPromote, { ID: id });
  }

  /**
   * The client endpoint (host:port) of the current leader: one of the endpoints if it answers as
   * the leader, else the leader's published client URL from MemberList, else — for members that
   * have not published one — the host of its peer URL with the client port of the endpoint that
   * answered (every StatefulSet pod listens on the same ports). Rejects with "etcdserver: no
   * leader" when no endpoint knows a leader.
   */
  async leaderEndpoint(): Promise<string> {
    const answers = await Promise.all(
      this.#endpoints.map(async (endpoint) => {
        try {
          const st = await this.status(endpoint);
          return { endpoint, self: Number(st.header?.memberId ?? 0), leader: Number(st.leader) };
        } catch {
          return null;
        }
      }),
    );
    const live = answers.filter((a) => a !== null);
    const leader = live.find((a) => a.leader !== 0)?.leader ?? 0;
    const first = live[0];
    if (leader === 0 || first === undefined) {
      throw new EtcdClientError(status.UNAVAILABLE, "etcdserver: no leader", this.#endpoints.join(","));
    }
    const direct = live.find((a) => a.self === leader);
    if (direct !== undefined) return endpointAddress(direct.endpoint);
    const asker = live.find((a) => a.leader === leader) ?? first;
    const list = await this.#callOn<MemberListResponse>(asker.endpoint, this.#services.cluster.MemberList, {
      linearizable: false,
    });
    const member = list.members.find((m) => Number(m.ID) === leader);
    const clientURL = member?.clientURLs[0];
    if (clientURL !== undefined) return endpointAddress(clientURL);
    const peerURL = member?.peerURLs[0];
    if (peerURL !== undefined) {
      const host = endpointAddress(peerURL).replace(/:\d+$/, "");
      const port = endpointAddress(asker.endpoint).replace(/^.*:/, "");
      return `${host}:${port}`;
    }
    throw new EtcdClientError(status.UNAVAILABLE, "etcdserver: no leader", asker.endpoint);
  }

  /** Status of one member: `endpoint`, or the endpoint in use. */
  status(endpoint?: string): Promise<StatusResponse> {
    return this.#callOn(endpoint, this.#services.maintenance.Status, {});
  }

  hash(endpoint?: string): Promise<HashResponse> {
    return this.#callOn(endpoint, this.#services.maintenance.Hash, {});
  }

  hashKV(revision = 0, endpoint?: string): Promise<HashKVResponse> {
    return this.#callOn(endpoint, this.#services.maintenance.HashKV, { revision });
  }

  alarms(): Promise<AlarmResponse> {
    return this.#call(this.#services.maintenance.Alarm, { action: "GET" }, "repeatable");
  }

  /** Raises (ACTIVATE) or clears (DEACTIVATE) an alarm through Raft; answers the alarms changed. */
  alarm(
    action: "ACTIVATE" | "DEACTIVATE",
    memberID: number,
    alarm: "NOSPACE" | "CORRUPT",
  ): Promise<AlarmResponse> {
    return this.#call(this.#services.maintenance.Alarm, { action, memberID, alarm }, "write");
  }

  /** Defragments one member; raftkv answers its store size before and after. */
  defragment(endpoint?: string): Promise<DefragmentResponse> {
    return this.#callOn(endpoint, this.#services.maintenance.Defragment, {});
  }

  /** Asks the leader (`endpoint` must be the leader's) to hand leadership to `targetId`. */
  moveLeader(targetId: number, endpoint?: string): Promise<HeaderOnlyResponse> {
    return this.#callOn(endpoint, this.#services.maintenance.MoveLeader, { targetID: targetId });
  }

  /** grpc.health.v1 Check of one member. */
  health(endpoint?: string, service = ""): Promise<HealthCheckResponse> {
    return this.#callOn(endpoint, this.#services.health.Check, { service });
  }

  /** The member's store as a stream of chunks (no deadline: snapshots may be large). */
  async *snapshot(endpoint?: string): AsyncGenerator<Buffer> {
    const address = endpointAddress(endpoint ?? this.#currentEndpoint());
    const method = this.#services.maintenance.Snapshot as MethodDefinition<object, SnapshotResponse>;
    const stream = this.#client(address).makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      {},
      new Metadata(),
    );
    try {
      for await (const message of stream as AsyncIterable<SnapshotResponse>) yield message.blob;
    } catch (error) {
      throw toClientError(error, address);
    } finally {
      stream.cancel();
    }
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #currentEndpoint(): string {
    return this.#endpoints[this.#current % this.#endpoints.length]!;
  }

  #client(address: string): Client {
    if (this.#closed) throw new EtcdClientError(status.CANCELLED, "client is closed", address);
    let client = this.#clients.get(address);
    if (client === undefined) {
      const channelCredentials =
        this.#credentials ??
        (this.#tlsAddresses.has(address) ? grpcCredentials.createSsl() : grpcCredentials.createInsecure());
      client = new Client(address, channelCredentials, this.#channelOptions);
      this.#clients.set(address, client);
    }
    return client;
  }

  async #call<Response>(method: MethodDefinition<unknown, unknown>, request: object, policy: RetryPolicy) {
    const deadline = Date.now() + this.#timeoutMs;
    const count = this.#endpoints.length;
    // Each call walks the endpoints from the current one on its own: with calls in flight
    // together, a shared cursor moved by each failure could send a call back to the endpoint that
    // just failed it (or skip the good ones) before it tried each once.
    let index = this.#current % count;
    for (let attempt = 1; ; attempt++) {
      const address = endpointAddress(this.#endpoints[index]!);
      try {
        return await this.#unary<Response>(address, method, request, deadline);
      } catch (error) {
        const serviceError = error as ServiceError;
        const again = attempt < count && Date.now() < deadline && retryable(serviceError, policy);
        if (!again) throw toClientError(error, address);
        const next = (index + 1) % count;
        // Later calls start from the next endpoint, unless another call already moved on.
        if (this.#current === index) this.#current = next;
        index = next;
      }
    }
  }

  async #callOn<Response>(
    endpoint: string | undefined,
    method: MethodDefinition<unknown, unknown>,
    request: object,
  ) {
    const address = endpointAddress(endpoint ?? this.#currentEndpoint());
    try {
      return await this.#unary<Response>(address, method, request, Date.now() + this.#timeoutMs);
    } catch (error) {
      throw toClientError(error, address);
    }
  }

  #unary<Response>(
    address: string,
    method: MethodDefinition<unknown, unknown>,
    request: object,
    deadline: number,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#client(address).makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new Metadata(),
        { deadline },
        (error, response) => (error ? reject(error) : resolve(response as Response)),
      );
    });
  }
}

function toClientError(error: unknown, address: string): Error {
  if (error instanceof EtcdClientError) return error;
  const { code, details } = error as Partial<ServiceError>;
  if (typeof code !== "number") return error as Error;
  return new EtcdClientError(code, details ?? String(error), address, { cause: error });
}
