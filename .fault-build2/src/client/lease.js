// The etcd Lease service for one endpoint: Grant, Revoke, TimeToLive, Leases (unary) and
// KeepAlive over one long-lived stream shared by every keepAlive() call (responses are matched to
// requests per lease ID, in order).
//
//   const leases = new LeaseClient("127.0.0.1:2379");
//   const { ID } = await leases.grant(10);
//   await leases.keepAlive(ID);        // { ID, TTL }; TTL 0 when the lease is gone
//   leases.close();
import { Client, credentials, Metadata, } from "@grpc/grpc-js";
import { apiServices } from "../api/proto.js";
import { EtcdClientError, endpointAddress } from "./client.js";
export class LeaseClient {
    address;
    #client;
    #timeoutMs;
    #metadata;
    #stream = null;
    #waiters = new Map();
    #closed = false;
    constructor(endpoint, options = {}) {
        this.address = endpointAddress(endpoint);
        this.#timeoutMs = options.timeoutMs ?? 5000;
        this.#metadata = options.metadata ?? {};
        this.#client = new Client(this.address, credentials.createInsecure(), options.channelOptions ?? {});
    }
    grant(ttlSeconds, id = 0) {
        return this.#unary(apiServices().lease.LeaseGrant, { TTL: ttlSeconds, ID: id });
    }
    revoke(id) {
        return this.#unary(apiServices().lease.LeaseRevoke, { ID: id });
    }
    timeToLive(id, keys = false, timeoutMs = this.#timeoutMs) {
        return this.#unary(apiServices().lease.LeaseTimeToLive, { ID: id, keys }, timeoutMs);
    }
    leases() {
        return this.#unary(apiServices().lease.LeaseLeases, {});
    }
    /** One renewal over the shared keep-alive stream. */
    keepAlive(id, timeoutMs = this.#timeoutMs) {
        if (this.#closed)
            return Promise.reject(new EtcdClientError(1, "lease client is closed", this.address));
        const stream = this.#keepAliveStream();
        return new Promise((resolve, reject) => {
            const waiter = {
                resolve,
                reject,
                timer: setTimeout(() => {
                    const list = this.#waiters.get(id);
                    const at = list?.indexOf(waiter) ?? -1;
                    if (at >= 0)
                        list.splice(at, 1);
                    reject(new EtcdClientError(4, "lease keep-alive timed out", this.address));
                }, timeoutMs),
            };
            const list = this.#waiters.get(id);
            if (list === undefined)
                this.#waiters.set(id, [waiter]);
            else
                list.push(waiter);
            stream.write({ ID: id });
        });
    }
    close() {
        this.#closed = true;
        this.#dropStream(new EtcdClientError(1, "lease client is closed", this.address));
        this.#client.close();
    }
    #keepAliveStream() {
        if (this.#stream !== null)
            return this.#stream;
        const method = apiServices().lease.LeaseKeepAlive;
        const stream = this.#client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, this.#metadataOf());
        stream.on("data", (r) => {
            const list = this.#waiters.get(r.ID);
            const waiter = list?.shift();
            if (list?.length === 0)
                this.#waiters.delete(r.ID);
            if (waiter === undefined)
                return;
            clearTimeout(waiter.timer);
            waiter.resolve(r);
        });
        const fail = (e) => {
            if (this.#stream === stream)
                this.#dropStream(e);
        };
        stream.on("error", (e) => fail(toError(e, this.address)));
        stream.on("end", () => fail(new EtcdClientError(14, "lease keep-alive stream ended", this.address)));
        this.#stream = stream;
        return stream;
    }
    #dropStream(e) {
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
    #metadataOf() {
        const metadata = new Metadata();
        for (const [k, v] of Object.entries(this.#metadata))
            metadata.set(k, v);
        return metadata;
    }
    #unary(method, request, timeoutMs = this.#timeoutMs) {
        return new Promise((resolve, reject) => {
            this.#client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, this.#metadataOf(), { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(toError(error, this.address)) : resolve(response)));
        });
    }
}
function toError(error, address) {
    return new EtcdClientError(error.code, error.details ?? error.message, address, { cause: error });
}
//# sourceMappingURL=lease.js.map