// The plumbing every handler shares: response headers, the unary call wrapper (error mapping and
// metrics), and the context handlers are built from.
import { status } from "@grpc/grpc-js";
import { INTERNAL_STATUS, statusOf } from "./errors.js";
export class HandlerContext {
    backend;
    logger;
    metrics;
    constructor(backend, logger, metrics) {
        this.backend = backend;
        this.logger = logger;
        this.metrics = metrics;
    }
    /** The etcd response header at `revision` (the store's current revision by default). */
    header(revision = this.backend.kv.revision) {
        const backend = this.backend;
        return {
            clusterId: backend.clusterId,
            memberId: backend.memberId,
            revision,
            raftTerm: backend.raftTerm(),
        };
    }
    /**
     * The status to send for `error`. Expected errors map through the error table; anything else is
     * a bug or an unforeseen failure: logged with its stack, answered with a generic INTERNAL.
     */
    statusFor(error, method) {
        const mapped = statusOf(error);
        if (mapped !== undefined)
            return mapped;
        this.logger.error({ err: error, method }, "unexpected error serving a client request");
        return INTERNAL_STATUS;
    }
    bind(type, service, method) {
        return this.metrics.method(type, service, method);
    }
}
/**
 * Adapts `impl` to grpc-js: maps errors to statuses and records metrics. `complete`, when given,
 * finishes each response (e.g. fills its header) in the same step that answers it, saving a
 * promise hop per call. Synchronous results are answered without a promise (serializable reads
 * stay off the microtask queue).
 */
export function unary(context, service, method, impl, complete) {
    const metrics = context.bind("unary", service, method);
    const fail = (startMs, error, callback) => {
        const mapped = context.statusFor(error, method);
        metrics.done(startMs, mapped.code);
        callback(mapped);
    };
    const answer = (startMs, response, callback) => {
        let completed = response;
        if (complete !== undefined) {
            try {
                completed = complete(response);
            }
            catch (error) {
                fail(startMs, error, callback);
                return;
            }
        }
        metrics.done(startMs, status.OK);
        callback(null, completed);
    };
    return (call, callback) => {
        const startMs = performance.now();
        let result;
        try {
            result = impl(call.request);
        }
        catch (error) {
            fail(startMs, error, callback);
            return;
        }
        if (result instanceof Promise) {
            result.then((response) => answer(startMs, response, callback), (error) => fail(startMs, error, callback));
        }
        else {
            answer(startMs, result, callback);
        }
    };
}
//# sourceMappingURL=call.js.map