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
import { Client, credentials, Metadata, } from "@grpc/grpc-js";
import { apiServices } from "../api/proto.js";
import { EtcdClientError, endpointAddress } from "./client.js";
import { rangeOf } from "./keys.js";
export class WatchStream {
    #client;
    #address;
    #call;
    #pending = [];
    #responseListeners = [];
    #errorListeners = [];
    #error;
    constructor(endpoint, options = {}) {
        this.#address = endpointAddress(endpoint);
        this.#client =
            options.client ??
                new Client(this.#address, credentials.createInsecure(), {
                    "grpc.max_receive_message_length": -1,
                    ...options.channelOptions,
                });
        const method = apiServices().watch.Watch;
        this.#call = this.#client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new Metadata());
        this.#call.on("data", (r) => this.#onData(r));
        this.#call.on("error", (e) => this.#fail(e));
        this.#call.on("end", () => this.#fail(new Error("watch stream ended by the server")));
    }
    /** Every response, in order (created, events, canceled, progress). */
    onResponse(listener) {
        this.#responseListeners.push(listener);
    }
    /** The stream failed (server gone, canceled); it stays failed. */
    onError(listener) {
        this.#errorListeners.push(listener);
    }
    get error() {
        return this.#error;
    }
    /**
     * Creates a watcher; resolves with its watch_id once the server created it, rejects with the
     * server's reason when it refused (created and canceled at once).
     */
    create(key, options = {}) {
        if (this.#error !== undefined)
            return Promise.reject(this.#error);
        const { key: k, rangeEnd } = rangeOf(key, options);
        const createRequest = {
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
    cancel(watchId) {
        this.#call.write({ cancelRequest: { watchId } });
    }
    /** Asks for a progress response (watch_id -1) once every watcher of the stream is synced. */
    requestProgress() {
        this.#call.write({ progressRequest: {} });
    }
    close() {
        this.#fail(new Error("watch stream closed"));
        this.#call.cancel();
    }
    /** Closes the stream and its channel (when the stream made its own). */
    closeAll() {
        this.close();
        this.#client.close();
    }
    #onData(r) {
        if (r.created) {
            const pending = this.#pending.shift();
            if (r.canceled)
                pending?.reject(new EtcdClientError(9, r.cancelReason, this.#address));
            else
                pending?.resolve(r.watchId);
        }
        for (const listener of this.#responseListeners)
            listener(r);
    }
    #fail(e) {
        if (this.#error !== undefined)
            return;
        this.#error = e;
        for (const p of this.#pending.splice(0))
            p.reject(e);
        for (const listener of this.#errorListeners)
            listener(e);
    }
}
//# sourceMappingURL=watch.js.map