// etcdserverpb.KV: Range (linearizable by default, local when serializable), Put, DeleteRange,
// Txn and Compact (proposed through the backend). Requests are validated here, before they are
// proposed, with etcd's rules and messages (src/kv/validate.ts).
//
// The write methods are registered with a wrapping deserializer (kvServiceDefinition): a request
// over maxRequestBytes is not decoded at all, and an accepted one keeps the bytes it arrived in,
// handed to the backend so the node can frame them as a command without encoding them again.
import { validateDeleteRange, validatePut, validateRange, validateTxn, } from "../kv/validate.js";
import { unary } from "./call.js";
import { REQUEST_TOO_LARGE } from "./errors.js";
const SERVICE = "etcdserverpb.KV";
/** A decoded write request and the protobuf bytes it was decoded from. */
export class ReceivedRequest {
    request;
    bytes;
    constructor(request, bytes) {
        this.request = request;
        this.bytes = bytes;
    }
}
/** What the write methods' deserializer yields for a request over maxRequestBytes. */
export const TOO_LARGE_REQUEST = Symbol("request too large");
const WRITE_METHODS = ["Put", "DeleteRange", "Txn"];
/** The KV service definition kvService expects: write methods decode to ReceivedRequest. */
export function kvServiceDefinition(definition, maxRequestBytes) {
    const wrapped = { ...definition };
    for (const name of WRITE_METHODS) {
        const method = definition[name];
        if (method === undefined)
            throw new Error(`KV service definition has no method ${name}`);
        const decode = method.requestDeserialize;
        wrapped[name] = {
            ...method,
            requestDeserialize: (bytes) => bytes.length > maxRequestBytes ? TOO_LARGE_REQUEST : new ReceivedRequest(decode(bytes), bytes),
        };
    }
    return wrapped;
}
function accepted(received) {
    if (received === TOO_LARGE_REQUEST)
        throw REQUEST_TOO_LARGE;
    return received;
}
export function kvService(context, limits) {
    const backend = context.backend;
    /** Completes the header of a response the state machine produced (it may carry the op's revision). */
    const withHeader = (response) => {
        const header = response.header;
        if (header === undefined || header === null) {
            response.header = context.header();
        }
        else {
            header.clusterId = backend.clusterId;
            header.memberId = backend.memberId;
            header.raftTerm = backend.raftTerm();
            if (!(header.revision > 0))
                header.revision = backend.kv.revision;
        }
        return response;
    };
    /** The latest revision is served from memory synchronously; a past one needs a disk read. */
    const rangeNow = (request) => {
        const kv = backend.kv;
        if (request.revision <= 0 || request.revision === kv.revision)
            return kv.range(request);
        return kv.rangeAt(request);
    };
    return {
        Range: unary(context, SERVICE, "Range", (request) => {
            validateRange(request, limits);
            if (request.serializable)
                return rangeNow(request);
            return backend.readBarrier().then(() => rangeNow(request));
        }, withHeader),
        Put: unary(context, SERVICE, "Put", (received) => {
            const { request, bytes } = accepted(received);
            validatePut(request, limits);
            return backend.propose("put", request, bytes);
        }, withHeader),
        DeleteRange: unary(context, SERVICE, "DeleteRange", (received) => {
            const { request, bytes } = accepted(received);
            validateDeleteRange(request, limits);
            return backend.propose("deleteRange", request, bytes);
        }, withHeader),
        Txn: unary(context, SERVICE, "Txn", (received) => {
            const { request, bytes } = accepted(received);
            validateTxn(request, limits);
            return backend.propose("txn", request, bytes);
        }, withHeader),
        Compact: unary(context, SERVICE, "Compact", async (request) => {
            const response = await backend.propose("compaction", request);
            // physical: answer once this member has removed the history (etcd waits for its own).
            if (request.physical)
                await backend.kv.waitCompaction?.(request.revision);
            return response;
        }, withHeader),
    };
}
//# sourceMappingURL=kv-service.js.map