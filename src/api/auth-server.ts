// Wiring of auth into the client server: the root-role check in front of Cluster and Maintenance
// methods (etcd's checkMembershipOperationPermission and authMaintenanceServer), and the auth
// metrics.

import type {
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { Gauge, type Registry } from "prom-client";
import type { AuthGuard } from "./auth-guard.js";
import type { HandlerContext } from "./call.js";

/**
 * `implementation` with `methods` refused unless the caller holds the root role (when auth is on).
 * Unary and server-streaming methods only (what Cluster and Maintenance have).
 */
export function adminOnly(
  context: HandlerContext,
  implementation: UntypedServiceImplementation,
  methods: readonly string[],
): UntypedServiceImplementation {
  const guard = context.auth;
  if (guard === undefined) return implementation;
  const wrapped: UntypedServiceImplementation = { ...implementation };
  for (const method of methods) {
    const handler = implementation[method] as UntypedHandleCall | undefined;
    if (handler === undefined) continue;
    wrapped[method] = ((call: ServerUnaryCall<unknown, unknown>, callback?: sendUnaryData<unknown>) => {
      if (guard.enabled) {
        try {
          guard.checkAdmin(call);
        } catch (err) {
          const status = context.statusFor(err, method);
          if (callback !== undefined) callback(status);
          else (call as unknown as ServerWritableStream<unknown, unknown>).emit("error", status);
          return;
        }
      }
      (handler as (c: unknown, cb?: unknown) => void)(call, callback);
    }) as UntypedHandleCall;
  }
  return wrapped;
}

/** raftkv_auth_enabled, raftkv_auth_revision (etcd: etcd_debugging_auth_revision), raftkv_auth_simple_tokens. */
export function registerAuthMetrics(registry: Registry, guard: AuthGuard): void {
  const enabled = registry.getSingleMetric("raftkv_auth_enabled");
  if (enabled !== undefined) return;
  new Gauge({
    name: "raftkv_auth_enabled",
    help: "1 when authentication is enabled",
    registers: [registry],
    collect() {
      this.set(guard.enabled ? 1 : 0);
    },
  });
  new Gauge({
    name: "raftkv_auth_revision",
    help: "The auth store revision (one more per change of users, roles or permissions)",
    registers: [registry],
    collect() {
      this.set(guard.table.revision);
    },
  });
  new Gauge({
    name: "raftkv_auth_simple_tokens",
    help: "Simple auth tokens this member holds that are not known to be expired",
    registers: [registry],
    collect() {
      this.set(guard.tokens.size);
    },
  });
}
