// The node's HTTP endpoint for operators and orchestrators:
//   /metrics  Prometheus text exposition of the registry (request counts and latencies, ...)
//   /healthz  200 {"health":"true"} when the node has a leader and is not stopping, else 503 with
//             the reason, as etcd's /health answers
//   /readyz   the same condition, for readiness probes (send traffic only to a node with a leader)
//   /livez    200 while the process serves HTTP: for liveness probes, which must not restart
//             members just because the cluster lost quorum

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { CertificateWatcher } from "../tls/certificates.js";
import type { ApiBackend } from "./backend.js";
import { parseListen } from "./listen.js";

export interface HttpServerOptions {
  backend: ApiBackend;
  /** "host:port"; port 0 picks a free port. */
  listen: string;
  registry: Registry;
  logger?: Logger;
  /** Serve HTTPS with these certificates (reloaded when they change). */
  tls?: CertificateWatcher;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Why the node is not ready, or undefined when it is. */
export function notReadyReason(backend: ApiBackend): string | undefined {
  if (backend.ready()) return undefined;
  const status = backend.status();
  if (status.errors.length > 0) return status.errors.join("; ");
  return status.leader === 0 ? "no leader" : "not ready";
}

function reply(response: ServerResponse, code: number, body: string, contentType: string): void {
  response.writeHead(code, { "content-type": contentType, "cache-control": "no-store" });
  response.end(body);
}

function health(backend: ApiBackend, response: ServerResponse): void {
  const reason = notReadyReason(backend);
  if (reason === undefined) {
    reply(response, 200, '{"health":"true","reason":""}\n', "application/json");
  } else {
    reply(response, 503, `${JSON.stringify({ health: "false", reason })}\n`, "application/json");
  }
}

async function metrics(registry: Registry, response: ServerResponse): Promise<void> {
  const text = await registry.metrics();
  reply(response, 200, text, registry.contentType);
}

export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { backend, registry, logger } = options;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(response, 405, "method not allowed\n", "text/plain");
      return;
    }
    const path = (request.url ?? "/").split("?", 1)[0];
    switch (path) {
      case "/metrics":
        metrics(registry, response).catch((error: unknown) => {
          logger?.error({ err: error }, "collecting metrics failed");
          reply(response, 500, "collecting metrics failed\n", "text/plain");
        });
        return;
      case "/healthz":
      case "/health":
      case "/readyz":
        health(backend, response);
        return;
      case "/livez":
        reply(response, 200, "ok\n", "text/plain");
        return;
      default:
        reply(response, 404, "not found\n", "text/plain");
    }
  };
  const watcher = options.tls;
  let unsubscribe = (): void => undefined;
  let server: Server;
  if (watcher === undefined) {
    server = createServer(handle);
  } else {
    const https = createHttpsServer(watcher.serverContextOptions(), handle);
    unsubscribe = watcher.subscribe(() => {
      const { cert, key, ca } = watcher.serverContextOptions();
      https.setSecureContext({ cert, key, ca });
    });
    server = https;
  }
  const { host, port } = parseListen(options.listen);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
