import { type ChannelOptions } from "@grpc/grpc-js";
import type { LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse } from "../kv/types.js";
export interface LeaseClientOptions {
    /** Deadline of each call. Default 5000. */
    timeoutMs?: number;
    /** Metadata sent with every call. */
    metadata?: Record<string, string>;
    channelOptions?: ChannelOptions;
}
export declare class LeaseClient {
    #private;
    readonly address: string;
    constructor(endpoint: string, options?: LeaseClientOptions);
    grant(ttlSeconds: number, id?: number): Promise<LeaseGrantResponse>;
    revoke(id: number): Promise<LeaseRevokeResponse>;
    timeToLive(id: number, keys?: boolean, timeoutMs?: number): Promise<LeaseTimeToLiveResponse>;
    leases(): Promise<LeaseLeasesResponse>;
    /** One renewal over the shared keep-alive stream. */
    keepAlive(id: number, timeoutMs?: number): Promise<LeaseKeepAliveResponse>;
    close(): void;
}
