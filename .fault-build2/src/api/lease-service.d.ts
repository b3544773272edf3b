import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { type HandlerContext } from "./call.js";
/** gRPC metadata naming a keep-alive or TimeToLive forwarded by a follower (not forwarded again). */
export declare const FORWARDED_METADATA = "raftkv-forwarded";
export interface LeaseTimeToLive {
    /** Remaining seconds. */
    TTL: number;
    grantedTTL: number;
    keys: Buffer[];
}
/** What the Lease service needs from the node. Rejections are mapped like every other error. */
export interface LeaseApi {
    /** Proposes a grant (`id` 0: the server picks one); resolves once applied here. */
    grant(ttlSeconds: number, id: number): Promise<{
        ID: number;
        TTL: number;
        revision: number;
    }>;
    /** Proposes a revoke; rejects with "requested lease not found" for an unknown lease. */
    revoke(id: number): Promise<{
        revision: number;
    }>;
    /**
     * Renews a lease on the leader (forwarded there from a follower, unless `forwarded`): its new
     * TTL, or 0 when the lease is unknown or already expired.
     */
    keepAlive(id: number, forwarded: boolean): Promise<number>;
    /** The leader's view of a lease; null when unknown or expired. */
    timeToLive(id: number, keys: boolean, forwarded: boolean): Promise<LeaseTimeToLive | null>;
    /** The live leases (replicated state), ascending. */
    leases(): number[];
}
export declare function leaseService(context: HandlerContext, api: LeaseApi): UntypedServiceImplementation;
