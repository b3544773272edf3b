import type { status } from "@grpc/grpc-js";
import { Counter, Histogram, type Registry } from "prom-client";
export type GrpcType = "unary" | "server_stream" | "client_stream" | "bidi_stream";
type HandledLabels = "grpc_type" | "grpc_service" | "grpc_method" | "grpc_code";
type HandlingLabels = "grpc_type" | "grpc_service" | "grpc_method";
/** The metrics of one method, bound to its labels. */
export declare class MethodMetrics {
    #private;
    constructor(handling: Histogram<HandlingLabels>, type: GrpcType, service: string, method: string);
    /** Records one finished call that started at `startMs` (performance.now()). */
    done(startMs: number, code: status): void;
    /** Adds the calls finished since the last scrape to `counter`. */
    flush(counter: Counter<HandledLabels>): void;
}
export declare class ApiMetrics {
    #private;
    constructor(registry: Registry);
    /** Binds the metrics of one method, e.g. method("unary", "etcdserverpb.KV", "Put"). */
    method(type: GrpcType, service: string, method: string): MethodMetrics;
}
export {};
