import { type ChannelOptions, Client } from "@grpc/grpc-js";
import type { WatchFilterType, WatchResponse } from "../kv/types.js";
import { type Bytes, type RangeSelector } from "./keys.js";
export interface WatchOptions extends RangeSelector {
    /** First revision to deliver; 0 or absent: from now. */
    startRevision?: number;
    prevKv?: boolean;
    filters?: WatchFilterType[];
    progressNotify?: boolean;
    /** Client-chosen watch_id (non-zero). */
    watchId?: number;
}
export declare class WatchStream {
    #private;
    constructor(endpoint: string, options?: {
        channelOptions?: ChannelOptions;
        client?: Client;
    });
    /** Every response, in order (created, events, canceled, progress). */
    onResponse(listener: (r: WatchResponse) => void): void;
    /** The stream failed (server gone, canceled); it stays failed. */
    onError(listener: (e: Error) => void): void;
    get error(): Error | undefined;
    /**
     * Creates a watcher; resolves with its watch_id once the server created it, rejects with the
     * server's reason when it refused (created and canceled at once).
     */
    create(key: Bytes, options?: WatchOptions): Promise<number>;
    /** Asks the server to cancel a watcher (the canceled response arrives through onResponse). */
    cancel(watchId: number): void;
    /** Asks for a progress response (watch_id -1) once every watcher of the stream is synced. */
    requestProgress(): void;
    close(): void;
    /** Closes the stream and its channel (when the stream made its own). */
    closeAll(): void;
}
