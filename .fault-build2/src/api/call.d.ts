import { type handleUnaryCall } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { ResponseHeader } from "../kv/types.js";
import type { ApiBackend } from "./backend.js";
import { type ApiStatus } from "./errors.js";
import type { ApiMetrics, GrpcType, MethodMetrics } from "./metrics.js";
export declare class HandlerContext {
    readonly backend: ApiBackend;
    readonly logger: Logger;
    readonly metrics: ApiMetrics;
    constructor(backend: ApiBackend, logger: Logger, metrics: ApiMetrics);
    /** The etcd response header at `revision` (the store's current revision by default). */
    header(revision?: number): ResponseHeader;
    /**
     * The status to send for `error`. Expected errors map through the error table; anything else is
     * a bug or an unforeseen failure: logged with its stack, answered with a generic INTERNAL.
     */
    statusFor(error: unknown, method: string): ApiStatus;
    bind(type: GrpcType, service: string, method: string): MethodMetrics;
}
/** A unary method's logic: a response, or a promise of one; throws/rejects with a mapped error. */
export type UnaryImpl<Request, Response> = (request: Request) => Response | Promise<Response>;
/**
 * Adapts `impl` to grpc-js: maps errors to statuses and records metrics. `complete`, when given,
 * finishes each response (e.g. fills its header) in the same step that answers it, saving a
 * promise hop per call. Synchronous results are answered without a promise (serializable reads
 * stay off the microtask queue).
 */
export declare function unary<Request, Response>(context: HandlerContext, service: string, method: string, impl: UnaryImpl<Request, Response>, complete?: (response: Response) => Response): handleUnaryCall<Request, Response>;
