import { ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { WatchHub } from "../kv/watch.js";
import type { ApiBackend } from "./backend.js";
import { type LeaseApi } from "./lease-service.js";
import { type WatchLimits } from "./watch-service.js";
/** etcd's default --max-request-bytes. */
export declare const DEFAULT_MAX_REQUEST_BYTES: number;
/**
 * grpc-js refuses messages above maxRequestBytes + this (as etcd sizes its gRPC limit), so a
 * request a little over the limit gets the clearer "etcdserver: request is too large".
 */
export declare const GRPC_OVERHEAD_BYTES: number;
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
    /** Default: insecure. */
    credentials?: ServerCredentials;
    /** How long close(true) waits for calls in flight before cancelling them. Default 5000. */
    gracefulCloseMs?: number;
    /** Serves Watch from this hub (the node's applied state). */
    watchHub?: WatchHub;
    watchLimits?: WatchLimits;
    /** Serves Lease. */
    leases?: LeaseApi;
}
export interface ClientServer {
    /** The bound port (the chosen one when listen asked for port 0). */
    readonly port: number;
    /** Stops accepting calls; graceful: lets calls in flight finish (up to gracefulCloseMs). */
    close(graceful?: boolean): Promise<void>;
}
export declare function startClientServer(options: ClientServerOptions): Promise<ClientServer>;
