// The client-facing gRPC server: etcd v3's KV, Watch, Lease, Cluster and Maintenance services and
// gRPC health, over an ApiBackend. Watch and Lease are served when the options give a watch hub
// and a lease API, and answer UNIMPLEMENTED otherwise.

import {
  Server,
  type ServerCredentials,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { WatchHub } from "../kv/watch.js";
import type { CertificateWatcher } from "../tls/certificates.js";
import { AuthGuard, type AuthGuardOptions } from "./auth-guard.js";
import { adminOnly, registerAuthMetrics } from "./auth-server.js";
import { authService } from "./auth-service.js";
import type { ApiBackend } from "./backend.js";
import { HandlerContext, unary } from "./call.js";
import { type ClientPort, serveClientPort } from "./client-port.js";
import { clusterService } from "./cluster-service.js";
import { unimplemented } from "./errors.js";
import { healthService } from "./health-service.js";
import { type KvServiceLimits, kvService, kvServiceDefinition } from "./kv-service.js";
import { type LeaseApi, leaseService } from "./lease-service.js";
import { grpcBindAddress, parseListen } from "./listen.js";
import { type MaintenanceApi, maintenanceService } from "./maintenance-service.js";
import { ApiMetrics } from "./metrics.js";
import { apiServices } from "./proto.js";
import { type WatchLimits, watchService, watchServiceDefinition } from "./watch-service.js";

/** etcd's default --max-request-bytes. */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/**
 * grpc-js refuses messages above maxRequestBytes + this (as etcd sizes its gRPC limit), so a
 * request a little over the limit gets the clearer "etcdserver: request is too large".
 */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;
const DEFAULT_GRACEFUL_CLOSE_MS = 5000;

export interface ClientServerOptions {
  backend: ApiBackend;
  /** "host:port"; port 0 picks a free port. */
  listen: string;
  logger: Logger;
  /** Where the request metrics are registered (served by startHttpServer). Default: a private registry. */
  registry?: Registry;
  /** Largest write request accepted, in bytes. Default 1.5 MiB, as etcd. */
  maxRequestBytes?: number;
  /** HTTP/2 streams per client connection. Default: grpc-js's (unbounded). */
  maxConcurrentStreams?: number;
  /** Most operations in one txn. Default 128, as etcd. */
  maxTxnOps?: number;
  /**
   * Binds grpc-js directly with these credentials: gRPC only, no JSON gateway on the port.
   * Default: the shared client port (./client-port.ts), plain or with `tls`.
   */
  credentials?: ServerCredentials;
  /** Serve TLS on the client port with these (reloaded) certificates. */
  tls?: CertificateWatcher;
  /** How long close(true) waits for calls in flight before cancelling them. Default 5000. */
  gracefulCloseMs?: number;
  /** Serves Watch from this hub (the node's applied state). */
  watchHub?: WatchHub;
  watchLimits?: WatchLimits;
  /** Serves Lease. */
  leases?: LeaseApi;
  /** Serves Auth and enforces it (auth-guard.ts); absent: Auth answers UNIMPLEMENTED, no checks. */
  auth?: AuthGuardOptions;
  /** Serves Defragment (otherwise it succeeds doing nothing). */
  maintenance?: MaintenanceApi;
}

export interface ClientServer {
  /** The bound port (the chosen one when listen asked for port 0). */
  readonly port: number;
  /** Stops accepting calls; graceful: lets calls in flight finish (up to gracefulCloseMs). */
  close(graceful?: boolean): Promise<void>;
}

/** Every method of `definition` answered UNIMPLEMENTED, naming the method. */
function notServed(context: HandlerContext, name: string, definition: ServiceDefinition) {
  const implementation: UntypedServiceImplementation = {};
  for (const [method, attributes] of Object.entries(definition)) {
    const status = unimplemented(`${name}.${method}`);
    if (attributes.requestStream || attributes.responseStream) {
      implementation[method] = (call: ServerDuplexStream<unknown, unknown>) => call.emit("error", status);
    } else {
      implementation[method] = unary(context, `etcdserverpb.${name}`, method, () => {
        throw status;
      });
    }
  }
  return implementation;
}

function serverOptions(options: ClientServerOptions, maxRequestBytes: number) {
  const grpcOptions: Record<string, number> = {
    "grpc.max_receive_message_length": maxRequestBytes + GRPC_OVERHEAD_BYTES,
    // Responses are not bounded (etcd sends up to 2 GiB); clients bound what they accept.
    "grpc.max_send_message_length": -1,
    // etcd's server keepalive defaults: ping an idle client every 2 h, drop it after 20 s silence.
    "grpc.keepalive_time_ms": 2 * 60 * 60 * 1000,
    "grpc.keepalive_timeout_ms": 20_000,
  };
  if (options.maxConcurrentStreams !== undefined) {
    grpcOptions["grpc.max_concurrent_streams"] = options.maxConcurrentStreams;
  }
  return grpcOptions;
}

export async function startClientServer(options: ClientServerOptions): Promise<ClientServer> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const limits: KvServiceLimits = { maxRequestBytes, maxTxnOps: options.maxTxnOps ?? 128 };
  const registry = options.registry ?? new Registry();
  const metrics = new ApiMetrics(registry);
  const guard = options.auth === undefined ? undefined : new AuthGuard(options.auth);
  const context = new HandlerContext(options.backend, options.logger, metrics, guard);
  const services = apiServices();

  const server = new Server(serverOptions(options, maxRequestBytes));
  server.addService(kvServiceDefinition(services.kv, maxRequestBytes), kvService(context, limits));
  // With auth on, membership changes and most maintenance calls need the root role, as etcd.
  // MemberPromote does not (docs/auth.md): a learner asks for its own promotion through this API
  // once caught up, and the leader promotes only a learner root added and that is in sync.
  server.addService(
    services.cluster,
    adminOnly(context, clusterService(context), ["MemberAdd", "MemberRemove", "MemberUpdate"]),
  );
  server.addService(
    services.maintenance,
    adminOnly(context, maintenanceService(context, options.maintenance), [
      "Defragment",
      "Hash",
      "HashKV",
      "Snapshot",
      "MoveLeader",
    ]),
  );
  if (guard !== undefined) {
    server.addService(services.auth, authService(context, guard));
    registerAuthMetrics(registry, guard);
  } else {
    server.addService(services.auth, notServed(context, "Auth", services.auth));
  }
  server.addService(services.health, healthService(context));
  // Ends the streams that never end by themselves (watch, keep-alive) when the server closes.
  const openStreams = new Set<() => void>();
  if (options.watchHub !== undefined) {
    server.addService(
      watchServiceDefinition(services.watch),
      watchService(context, options.watchHub, options.watchLimits, openStreams),
    );
  } else {
    server.addService(services.watch, notServed(context, "Watch", services.watch));
  }
  if (options.leases !== undefined) {
    server.addService(services.lease, leaseService(context, options.leases, openStreams));
  } else {
    server.addService(services.lease, notServed(context, "Lease", services.lease));
  }

  const address = grpcBindAddress(parseListen(options.listen));
  let clientPort: ClientPort | undefined;
  let port: number;
  if (options.credentials !== undefined) {
    const credentials = options.credentials;
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  } else {
    clientPort = await serveClientPort(server, {
      listen: options.listen,
      tls: options.tls,
      logger: options.logger,
      backend: options.backend,
      // base64 makes bytes 4/3 larger; JSON adds field names and punctuation.
      maxBodyBytes: 2 * maxRequestBytes + 64 * 1024,
    });
    port = clientPort.port;
  }
  options.logger.info({ address, port, tls: options.tls !== undefined }, "client API listening");

  const gracefulCloseMs = options.gracefulCloseMs ?? DEFAULT_GRACEFUL_CLOSE_MS;
  let closing: Promise<void> | undefined;
  const close = (graceful = true): Promise<void> => {
    const portClosed = clientPort?.close() ?? Promise.resolve();
    closing ??= new Promise<void>((resolve) => {
      if (!graceful) {
        server.forceShutdown();
        resolve();
        return;
      }
      // Calls in flight finish; long streams (snapshots) are cut after gracefulCloseMs; watch and
      // keep-alive streams end now with "server stopped", so their clients go to another member.
      for (const end of [...openStreams]) end();
      const timer = setTimeout(() => server.forceShutdown(), gracefulCloseMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return Promise.all([closing, portClosed]).then(() => undefined);
  };
  return { port, close };
}
