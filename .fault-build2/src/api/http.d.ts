import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { ApiBackend } from "./backend.js";
export interface HttpServerOptions {
    backend: ApiBackend;
    /** "host:port"; port 0 picks a free port. */
    listen: string;
    registry: Registry;
    logger?: Logger;
}
export interface HttpServer {
    readonly port: number;
    close(): Promise<void>;
}
/** Why the node is not ready, or undefined when it is. */
export declare function notReadyReason(backend: ApiBackend): string | undefined;
export declare function startHttpServer(options: HttpServerOptions): Promise<HttpServer>;
