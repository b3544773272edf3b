// The plumbing every handler shares: response headers, the unary call wrapper (error mapping and
// metrics), and the context handlers are built from.

import { type handleUnaryCall, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { ResponseHeader } from "../kv/types.js";
import type { AuthGuard } from "./auth-guard.js";
import type { ApiBackend } from "./backend.js";
import { type ApiStatus, INTERNAL_STATUS, statusOf } from "./errors.js";
import type { ApiMetrics, GrpcType, MethodMetrics } from "./metrics.js";

export class HandlerContext {
  readonly backend: ApiBackend;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  /** Authentication and authorization (auth-guard.ts); absent: no auth (tests, embedders). */
  readonly auth: AuthGuard | undefined;

  constructor(backend: ApiBackend, logger: Logger, metrics: ApiMetrics, auth?: AuthGuard) {
    this.backend = backend;
    this.logger = logger;
    this.metrics = metrics;
    this.auth = auth;
  }

  /** The etcd response header at `revision` (the store's current revision by default). */
  header(revision: number = this.backend.kv.revision): ResponseHeader {
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
  statusFor(error: unknown, method: string): ApiStatus {
    const mapped = statusOf(error);
    if (mapped !== undefined) return mapped;
    this.logger.error({ err: error, method }, "unexpected error serving a client request");
    return INTERNAL_STATUS;
  }

  bind(type: GrpcType, service: string, method: string): MethodMetrics {
    return this.metrics.method(type, service, method);
  }
}

/**
 * A unary method's logic: a response, or a promise of one; throws/rejects with a mapped error.
 * `call` gives the metadata (auth tokens) and the peer's TLS certificate.
 */
export type UnaryImpl<Request, Response> = (
  request: Request,
  call: ServerUnaryCall<Request, Response>,
) => Response | Promise<Response>;

/**
 * Adapts `impl` to grpc-js: maps errors to statuses and records metrics. `complete`, when given,
 * finishes each response (e.g. fills its header) in the same step that answers it, saving a
 * promise hop per call. Synchronous results are answered without a promise (serializable reads
 * stay off the microtask queue).
 */
export function unary<Request, Response>(
  context: HandlerContext,
  service: string,
  method: string,
  impl: UnaryImpl<Request, Response>,
  complete?: (response: Response) => Response,
): handleUnaryCall<Request, Response> {
  const metrics = context.bind("unary", service, method);
  const fail = (startMs: number, error: unknown, callback: sendUnaryData<Response>): void => {
    const mapped = context.statusFor(error, method);
    metrics.done(startMs, mapped.code);
    callback(mapped);
  };
  const answer = (startMs: number, response: Response, callback: sendUnaryData<Response>): void => {
    let completed = response;
    if (complete !== undefined) {
      try {
        completed = complete(response);
      } catch (error) {
        fail(startMs, error, callback);
        return;
      }
    }
    metrics.done(startMs, status.OK);
    callback(null, completed);
  };
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    const startMs = performance.now();
    let result: Response | Promise<Response>;
    try {
      result = impl(call.request, call);
    } catch (error) {
      fail(startMs, error, callback);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => answer(startMs, response, callback),
        (error: unknown) => fail(startMs, error, callback),
      );
    } else {
      answer(startMs, result, callback);
    }
  };
}
