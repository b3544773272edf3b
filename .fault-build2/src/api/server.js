// The client-facing gRPC server: etcd v3's KV, Watch, Lease, Cluster and Maintenance services and
// gRPC health, over an ApiBackend. Watch and Lease are served when the options give a watch hub
// and a lease API, and answer UNIMPLEMENTED otherwise.
import { Server, ServerCredentials, } from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { HandlerContext, unary } from "./call.js";
import { clusterService } from "./cluster-service.js";
import { unimplemented } from "./errors.js";
import { healthService } from "./health-service.js";
import { kvService, kvServiceDefinition } from "./kv-service.js";
import { grpcBindAddress, parseListen } from "./listen.js";
import { leaseService } from "./lease-service.js";
import { maintenanceService } from "./maintenance-service.js";
import { ApiMetrics } from "./metrics.js";
import { apiServices } from "./proto.js";
import { watchService, watchServiceDefinition } from "./watch-service.js";
/** etcd's default --max-request-bytes. */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/**
 * grpc-js refuses messages above maxRequestBytes + this (as etcd sizes its gRPC limit), so a
 * request a little over the limit gets the clearer "etcdserver: request is too large".
 */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;
const DEFAULT_GRACEFUL_CLOSE_MS = 5000;
/** Every method of `definition` answered UNIMPLEMENTED, naming the method. */
function notServed(context, name, definition) {
    const implementation = {};
    for (const [method, attributes] of Object.entries(definition)) {
        const status = unimplemented(`${name}.${method}`);
        if (attributes.requestStream || attributes.responseStream) {
            implementation[method] = (call) => call.emit("error", status);
        }
        else {
            implementation[method] = unary(context, `etcdserverpb.${name}`, method, () => {
                throw status;
            });
        }
    }
    return implementation;
}
function serverOptions(options, maxRequestBytes) {
    const grpcOptions = {
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
export async function startClientServer(options) {
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const limits = { maxRequestBytes, maxTxnOps: options.maxTxnOps ?? 128 };
    const metrics = new ApiMetrics(options.registry ?? new Registry());
    const context = new HandlerContext(options.backend, options.logger, metrics);
    const services = apiServices();
    const server = new Server(serverOptions(options, maxRequestBytes));
    server.addService(kvServiceDefinition(services.kv, maxRequestBytes), kvService(context, limits));
    server.addService(services.cluster, clusterService(context));
    server.addService(services.maintenance, maintenanceService(context));
    server.addService(services.health, healthService(context));
    if (options.watchHub !== undefined) {
        server.addService(watchServiceDefinition(services.watch), watchService(context, options.watchHub, options.watchLimits));
    }
    else {
        server.addService(services.watch, notServed(context, "Watch", services.watch));
    }
    if (options.leases !== undefined) {
        server.addService(services.lease, leaseService(context, options.leases));
    }
    else {
        server.addService(services.lease, notServed(context, "Lease", services.lease));
    }
    const address = grpcBindAddress(parseListen(options.listen));
    const credentials = options.credentials ?? ServerCredentials.createInsecure();
    const port = await new Promise((resolve, reject) => {
        server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    options.logger.info({ address, port }, "client API listening");
    const gracefulCloseMs = options.gracefulCloseMs ?? DEFAULT_GRACEFUL_CLOSE_MS;
    let closing;
    const close = (graceful = true) => {
        closing ??= new Promise((resolve) => {
            if (!graceful) {
                server.forceShutdown();
                resolve();
                return;
            }
            // Calls in flight finish; long streams (snapshots) are cut after gracefulCloseMs.
            const timer = setTimeout(() => server.forceShutdown(), gracefulCloseMs);
            server.tryShutdown(() => {
                clearTimeout(timer);
                resolve();
            });
        });
        return closing;
    };
    return { port, close };
}
//# sourceMappingURL=server.js.map