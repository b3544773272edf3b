// The client port: gRPC and HTTP/JSON on one listener, as etcd serves them. A front listener
// (../tls/listener.ts) tells HTTP/2 from HTTP/1.x by the first bytes (or by ALPN under TLS) and
// hands the socket itself to the gRPC server (through grpc-js's connection injector) or to a
// node:http server that answers the JSON gateway (./gateway.ts), GET /version and GET /health.
// The gRPC path has no proxy in it: once handed over, the socket is read by grpc-js's HTTP/2
// session as if grpc-js had accepted it.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type Server, ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { CertificateWatcher } from "../tls/certificates.js";
import { startFrontListener } from "../tls/listener.js";
import type { ApiBackend } from "./backend.js";
import { sendText, serveGateway } from "./gateway.js";
import { notReadyReason } from "./http.js";
import { parseListen } from "./listen.js";
import { LoopbackGrpc } from "./loopback.js";
import { versionBody } from "./version.js";

export interface ClientPortOptions {
  readonly listen: string;
  readonly tls?: CertificateWatcher;
  readonly logger: Logger;
  readonly backend: ApiBackend;
  /** Largest JSON body the gateway reads. */
  readonly maxBodyBytes: number;
}

export interface ClientPort {
  readonly port: number;
  /** Stops accepting; closes the gateway's connections (the gRPC server closes its own). */
  close(): Promise<void>;
}

function reply(response: ServerResponse, code: number, body: string): void {
  response.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

export async function serveClientPort(server: Server, options: ClientPortOptions): Promise<ClientPort> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const loopback = new LoopbackGrpc((connection) => injector.injectConnection(connection));
  const gateway = { loopback, maxBodyBytes: options.maxBodyBytes };
  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (serveGateway(gateway, request, response)) return;
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path === "/version" && (request.method === "GET" || request.method === "HEAD")) {
      reply(response, 200, versionBody());
    } else if (path === "/health" && (request.method === "GET" || request.method === "HEAD")) {
      const reason = notReadyReason(options.backend);
      reply(
        response,
        reason === undefined ? 200 : 503,
        `${JSON.stringify({ health: String(reason === undefined), reason: reason ?? "" })}\n`,
      );
    } else {
      sendText(response, 404, "Not Found\n");
    }
  });
  http.on("clientError", (_err, socket) => socket.destroy());
  const { host, port } = parseListen(options.listen);
  const front = await startFrontListener({
    host,
    port,
    tls: options.tls,
    onHttp2: (socket) => injector.injectConnection(socket),
    onHttp1: (socket) => http.emit("connection", socket),
    logger: options.logger,
    what: "client",
  });
  let closed: Promise<void> | undefined;
  return {
    port: front.port,
    close: () => {
      closed ??= front.close().then(() => {
        loopback.close();
        http.closeAllConnections();
        http.close();
      });
      return closed;
    },
  };
}
