// The etcd Lease service for one endpoint: Grant, Revoke, TimeToLive, Leases (unary) and
// KeepAlive over one long-lived stream shared by every keepAlive() call (responses are matched to
// requests per lease ID, in order).
//
//   const leases = new LeaseClient("127.0.0.1:2379");
//   const { ID } = await leases.grant(10);
//   await leases.keepAlive(ID);        // { ID, TTL }; TTL 0 when the lease is gone
//   leases.close();

import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type ClientDuplexStream,
  credentials,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { apiServices } from "../api/proto.js";
import type {
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
} from "../kv/types.js";
import { EtcdClientError, endpointAddress } from "./client.js";

export interface LeaseClientOptions {
  /** Deadline of each call. Default 5000. */
  timeoutMs?: number;
  /** Metadata sent with every call. */
  metadata?: Record<string, string>;
  channelOptions?: ChannelOptions;
  /** Default: plain text. */
  credentials?: ChannelCredentials;
}

interface Waiter {
  resolve: (r: LeaseKeepAliveResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class LeaseClient {
  readonly address: string;
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #metadata: Record<string, string>;
  #stream: ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> | null = null;
  readonly #waiters = new Map<number, Waiter[]>();
  #closed = false;

  constructor(endpoint: string, options: LeaseClientOptions = {}) {
    this.address = endpointAddress(endpoint);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#metadata = options.metadata ?? {};
    this.#client = new Client(
      this.address,
      options.credentials ?? credentials.createInsecure(),
      options.channelOptions ?? {},
    );
  }

  grant(ttlSeconds: number, id = 0): Promise<LeaseGrantResponse> {
    return this.#unary(apiServices().lease.LeaseGrant, { TTL: ttlSeconds, ID: id });
  }

  revoke(id: number): Promise<LeaseRevokeResponse> {
    return this.#unary(apiServices().lease.LeaseRevoke, { ID: id });
  }

  timeToLive(id: number, keys = false, timeoutMs = this.#timeoutMs): Promise<LeaseTimeToLiveResponse> {
    return this.#unary(apiServices().lease.LeaseTimeToLive, { ID: id, keys }, timeoutMs);
  }

  leases(): Promise<LeaseLeasesResponse> {
    return this.#unary(apiServices().lease.LeaseLeases, {});
  }

  /** One renewal over the shared keep-alive stream. */
  keepAlive(id: number, timeoutMs = this.#timeoutMs): Promise<LeaseKeepAliveResponse> {
    if (this.#closed) return Promise.reject(new EtcdClientError(1, "lease client is closed", this.address));
    const stream = this.#keepAliveStream();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const list = this.#waiters.get(id);
          const at = list?.indexOf(waiter) ?? -1;
          if (at >= 0) list!.splice(at, 1);
          reject(new EtcdClientError(4, "lease keep-alive timed out", this.address));
        }, timeoutMs),
      };
      const list = this.#waiters.get(id);
      if (list === undefined) this.#waiters.set(id, [waiter]);
      else list.push(waiter);
      stream.write({ ID: id });
    });
  }

  close(): void {
    this.#closed = true;
    this.#dropStream(new EtcdClientError(1, "lease client is closed", this.address));
    this.#client.close();
  }

  #keepAliveStream(): ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
    if (this.#stream !== null) return this.#stream;
    const method = apiServices().lease.LeaseKeepAlive;
    const stream = this.#client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      this.#metadataOf(),
    ) as ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;
    stream.on("data", (r: LeaseKeepAliveResponse) => {
      const list = this.#waiters.get(r.ID);
      const waiter = list?.shift();
      if (list?.length === 0) this.#waiters.delete(r.ID);
      if (waiter === undefined) return;
      clearTimeout(waiter.timer);
      waiter.resolve(r);
    });
    const fail = (e: Error): void => {
      if (this.#stream === stream) this.#dropStream(e);
    };
    stream.on("error", (e: ServiceError) => fail(toError(e, this.address)));
    stream.on("end", () => fail(new EtcdClientError(14, "lease keep-alive stream ended", this.address)));
    this.#stream = stream;
    return stream;
  }

  #dropStream(e: Error): void {
    const stream = this.#stream;
    this.#stream = null;
    stream?.cancel();
    for (const list of this.#waiters.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(e);
      }
    }
    this.#waiters.clear();
  }

  #metadataOf(): Metadata {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(this.#metadata)) metadata.set(k, v);
    return metadata;
  }

  #unary<Response>(
    method: MethodDefinition<unknown, unknown>,
    request: object,
    timeoutMs = this.#timeoutMs,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        this.#metadataOf(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(toError(error, this.address)) : resolve(response as Response)),
      );
    });
  }
}

function toError(error: ServiceError, address: string): EtcdClientError {
  return new EtcdClientError(error.code, error.details ?? error.message, address, { cause: error });
}
