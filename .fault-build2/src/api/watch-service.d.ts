import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Event } from "../kv/types.js";
import type { WatchHub } from "../kv/watch.js";
import type { HandlerContext } from "./call.js";
export interface WatchLimits {
    /** Watchers on one stream; past it a create is answered canceled. Default 10,000. */
    maxWatchersPerStream: number;
    /** Response bytes queued on one stream before a watcher is canceled. Default 16 MiB. */
    maxPendingBytes: number;
    /** Replay of history waits while more than this is queued. Default 1 MiB. */
    readyBytes: number;
}
export declare const DEFAULT_WATCH_LIMITS: WatchLimits;
/** The Watch service definition with Watch's serializer letting pre-encoded Buffers through. */
export declare function watchServiceDefinition(definition: ServiceDefinition): ServiceDefinition;
export declare function watchService(context: HandlerContext, hub: WatchHub, limits?: WatchLimits): UntypedServiceImplementation;
/** An event's bytes, encoded once however many watchers it goes to. */
export declare function encodeEvent(event: Event): Uint8Array;
