// Request metrics of the client API, named as etcd exports them (go-grpc-prometheus), so that the
// dashboards and alerts written for etcd work on raftkv:
//   grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}
//   grpc_server_handling_seconds{grpc_type, grpc_service, grpc_method}   (a histogram)
//
// Cost per request matters (the gRPC layer is most of the CPU budget): the histogram child is
// bound once per method, and the handled counts are plain numbers per method and status code,
// added to the prom-client Counter when it is scraped (its collect hook) rather than through
// prom-client's label hashing on every call.
import { Counter, Histogram } from "prom-client";
const LATENCY_BUCKETS_SECONDS = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** grpc status number → the name go-grpc-prometheus puts in grpc_code. */
const CODE_NAMES = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];
/** The metrics of one method, bound to its labels. */
export class MethodMetrics {
    #labels;
    #latency;
    /** Calls finished, by status code; `#reported` is what the Counter has been told. */
    #handled = new Float64Array(CODE_NAMES.length);
    #reported = new Float64Array(CODE_NAMES.length);
    constructor(handling, type, service, method) {
        this.#labels = { grpc_type: type, grpc_service: service, grpc_method: method };
        this.#latency = handling.labels(type, service, method);
    }
    /** Records one finished call that started at `startMs` (performance.now()). */
    done(startMs, code) {
        this.#latency.observe((performance.now() - startMs) / 1000);
        if (code >= 0 && code < CODE_NAMES.length)
            this.#handled[code] += 1;
    }
    /** Adds the calls finished since the last scrape to `counter`. */
    flush(counter) {
        for (let code = 0; code < CODE_NAMES.length; code++) {
            const delta = this.#handled[code] - this.#reported[code];
            if (delta === 0)
                continue;
            this.#reported[code] = this.#handled[code];
            counter.inc({ ...this.#labels, grpc_code: CODE_NAMES[code] }, delta);
        }
    }
}
export class ApiMetrics {
    #handling;
    #methods = [];
    constructor(registry) {
        const methods = this.#methods;
        new Counter({
            name: "grpc_server_handled_total",
            help: "Total number of RPCs completed on the server, regardless of success or failure.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
            registers: [registry],
            collect() {
                for (const method of methods)
                    method.flush(this);
            },
        });
        this.#handling = new Histogram({
            name: "grpc_server_handling_seconds",
            help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            labelNames: ["grpc_type", "grpc_service", "grpc_method"],
            buckets: LATENCY_BUCKETS_SECONDS,
            registers: [registry],
        });
    }
    /** Binds the metrics of one method, e.g. method("unary", "etcdserverpb.KV", "Put"). */
    method(type, service, method) {
        const bound = new MethodMetrics(this.#handling, type, service, method);
        this.#methods.push(bound);
        return bound;
    }
}
//# sourceMappingURL=metrics.js.map