// One etcd Watch stream (etcdserverpb.Watch/Watch) to one endpoint, many watchers on it.
//
//   const stream = new WatchStream("127.0.0.1:2379");
//   stream.onResponse((r) => ...);                 // every response, events included
//   const id = await stream.create("app/", { prefix: true, startRevision: 5, prevKv: true });
//   await stream.cancel(id);
//   stream.close();
//
// No reconnection: a stream that fails reports it through onError and stays failed; the caller
// opens a new one (from its last revision + 1, as clientv3 does).

import {
  type ChannelOptions,
  Client,
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { apiServices } from "../api/proto.js";
import type { WatchCreateRequest, WatchFilterType, WatchRequest, WatchResponse } from "../kv/types.js";
import { EtcdClientError, endpointAddress } from "./client.js";
import { type Bytes, type RangeSelector, rangeOf } from "./keys.js";

export interface WatchOptions extends RangeSelector {
  /** First revision to deliver; 0 or absent: from now. */
  startRevision?: number;
  prevKv?: boolean;
  filters?: WatchFilterType[];
  progressNotify?: boolean;
  /** Client-chosen watch_id (non-zero). */
  watchId?: number;
}

interface PendingCreate {
  resolve: (watchId: number) => void;
  reject: (err: Error) => void;
}

export class WatchStream {
  readonly #client: Client;
  readonly #address: string;
  readonly #call: ClientDuplexStream<WatchRequest, WatchResponse>;
  readonly #pending: PendingCreate[] = [];
  readonly #responseListeners: ((r: WatchResponse) => void)[] = [];
  readonly #errorListeners: ((e: Error) => void)[] = [];
  #error: Error | undefined;

  constructor(endpoint: string, options: { channelOptions?: ChannelOptions; client?: Client } = {}) {
    this.#address = endpointAddress(endpoint);
    this.#client =
      options.client ??
      new Client(this.#address, credentials.createInsecure(), {
        "grpc.max_receive_message_length": -1,
        ...options.channelOptions,
      });
    const method = apiServices().watch.Watch;
    this.#call = this.#client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new Metadata(),
    ) as ClientDuplexStream<WatchRequest, WatchResponse>;
    this.#call.on("data", (r: WatchResponse) => this.#onData(r));
    this.#call.on("error", (e: ServiceError) => this.#fail(e));
    this.#call.on("end", () => this.#fail(new Error("watch stream ended by the server")));
  }

  /** Every response, in order (created, events, canceled, progress). */
  onResponse(listener: (r: WatchResponse) => void): void {
    this.#responseListeners.push(listener);
  }

  /** The stream failed (server gone, canceled); it stays failed. */
  onError(listener: (e: Error) => void): void {
    this.#errorListeners.push(listener);
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Creates a watcher; resolves with its watch_id once the server created it, rejects with the
   * server's reason when it refused (created and canceled at once).
   */
  create(key: Bytes, options: WatchOptions = {}): Promise<number> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    const { key: k, rangeEnd } = rangeOf(key, options);
    const createRequest: WatchCreateRequest = {
      key: k,
      rangeEnd,
      startRevision: options.startRevision ?? 0,
      progressNotify: options.progressNotify ?? false,
      filters: options.filters ?? [],
      prevKv: options.prevKv ?? false,
      watchId: options.watchId ?? 0,
      fragment: false,
    };
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#call.write({ createRequest });
    });
  }

  /** Asks the server to cancel a watcher (the canceled response arrives through onResponse). */
  cancel(watchId: number): void {
    this.#call.write({ cancelRequest: { watchId } });
  }

  /** Asks for a progress response (watch_id -1) once every watcher of the stream is synced. */
  requestProgress(): void {
    this.#call.write({ progressRequest: {} });
  }

  close(): void {
    this.#fail(new Error("watch stream closed"));
    this.#call.cancel();
  }

  /** Closes the stream and its channel (when the stream made its own). */
  closeAll(): void {
    this.close();
    this.#client.close();
  }

  #onData(r: WatchResponse): void {
    if (r.created) {
      const pending = this.#pending.shift();
      if (r.canceled) pending?.reject(new EtcdClientError(9, r.cancelReason, this.#address));
      else pending?.resolve(r.watchId);
    }
    for (const listener of this.#responseListeners) listener(r);
  }

  #fail(e: Error): void {
    if (this.#error !== undefined) return;
    this.#error = e;
    for (const p of this.#pending.splice(0)) p.reject(e);
    for (const listener of this.#errorListeners) listener(e);
  }
}
