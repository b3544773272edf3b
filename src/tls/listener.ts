// One listening port for two protocols, as etcd serves gRPC and HTTP/JSON on its client port.
//
// Plain text: the first bytes decide. A connection that opens with the HTTP/2 client preface
// ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", what every gRPC client sends first) goes to `onHttp2`
// (the gRPC server); anything else to `onHttp1`. The bytes read to decide are put back on the
// socket, and from then on the socket belongs to the chosen server: no copy, no proxy in between.
//
// TLS: the handshake's ALPN decides. The server prefers "http/1.1" and accepts "h2", so gRPC
// clients (which offer only h2) get h2 and general HTTP clients (curl offers both) get HTTP/1.1.
// A client that offers no ALPN is sniffed as in plain text.
//
// Refused TLS handshakes (no client certificate, a certificate of another CA) are logged at warn,
// at most once a minute per remote address.

import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { CertificateWatcher, TlsLogger } from "./certificates.js";

export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const SNIFF_TIMEOUT_MS = 10_000;
const WARN_INTERVAL_MS = 60_000;

export interface FrontListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Serve TLS with these certificates (reloaded when they change). */
  readonly tls?: CertificateWatcher;
  /** Receives connections that speak HTTP/2 (gRPC). */
  readonly onHttp2: (socket: Socket) => void;
  /** Receives connections that speak HTTP/1.x; absent: such connections are closed. */
  readonly onHttp1?: (socket: Socket) => void;
  readonly logger?: TlsLogger;
  /** Names the listener in logs ("client", "peer", "metrics"). */
  readonly what: string;
}

export interface FrontListener {
  readonly port: number;
  /** Stops accepting; connections already handed over are closed by their servers. */
  close(): Promise<void>;
}

function handOver(socket: Socket, options: FrontListenerOptions, http2: boolean): void {
  if (http2) {
    options.onHttp2(socket);
  } else if (options.onHttp1 !== undefined) {
    options.onHttp1(socket);
    // sniff() paused the socket to put bytes back; node:http listens for 'data' but, the socket
    // being paused explicitly, does not resume it.
    if (socket.isPaused()) socket.resume();
  } else {
    socket.destroy();
  }
}

/** Reads until the first bytes tell HTTP/2 from anything else, puts them back, hands over. */
function sniff(socket: Socket, options: FrontListenerOptions): void {
  let seen: Buffer = Buffer.alloc(0);
  const done = (): void => {
    socket.off("data", onData);
    socket.off("error", onError);
    socket.setTimeout(0);
    socket.off("timeout", onTimeout);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const http2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (http2 && seen.length < HTTP2_PREFACE.length) return;
    done();
    socket.pause();
    socket.unshift(seen);
    handOver(socket, options, http2);
  };
  const onError = (): void => {
    done();
    socket.destroy();
  };
  const onTimeout = (): void => {
    done();
    socket.destroy();
  };
  socket.on("data", onData);
  socket.on("error", onError);
  socket.setTimeout(SNIFF_TIMEOUT_MS);
  socket.on("timeout", onTimeout);
}

export function startFrontListener(options: FrontListenerOptions): Promise<FrontListener> {
  const lastWarn = new Map<string, number>();
  const warnRefused = (socket: TLSSocket, error: Error): void => {
    // The address is gone once the socket is destroyed: the raw socket underneath still has it.
    const parent = (socket as TLSSocket & { _parent?: Socket | null })._parent;
    const remote = socket.remoteAddress ?? parent?.remoteAddress ?? "?";
    // Node checks the client certificate after the handshake and, when it is refused, closes the
    // connection; authorizationError says why (the error event only says the socket closed).
    const reason = socket.authorizationError ?? (error as { code?: string }).code;
    const key = `${remote} ${reason}`;
    const now = Date.now();
    if ((lastWarn.get(key) ?? 0) + WARN_INTERVAL_MS > now) return;
    if (lastWarn.size > 1024) lastWarn.clear();
    lastWarn.set(key, now);
    options.logger?.warn(
      { listener: options.what, remote, reason, err: error.message },
      `refused a TLS connection on the ${options.what} port`,
    );
  };

  let server: NetServer;
  let unsubscribe = (): void => undefined;
  const watcher = options.tls;
  if (watcher === undefined) {
    server = createNetServer({ noDelay: true }, (socket) => sniff(socket, options));
  } else {
    const tlsServer = createTlsServer({
      ...watcher.serverContextOptions(),
      ALPNProtocols: options.onHttp1 !== undefined ? ["http/1.1", "h2"] : ["h2"],
    });
    tlsServer.on("secureConnection", (socket: TLSSocket) => {
      socket.setNoDelay(true);
      if (socket.alpnProtocol === "h2") handOver(socket, options, true);
      else if (socket.alpnProtocol === "http/1.1") handOver(socket, options, false);
      else sniff(socket, options);
    });
    // Reading the address caches it on the raw socket, for warnRefused after it is closed.
    tlsServer.prependListener("connection", (raw: Socket) => void raw.remoteAddress);
    // Node closes the socket itself once the alert is sent (destroying it here would lose it).
    tlsServer.on("tlsClientError", (error, socket) => warnRefused(socket, error));
    unsubscribe = watcher.subscribe(() => {
      const { cert, key, ca } = watcher.serverContextOptions();
      tlsServer.setSecureContext({ cert, key, ca });
    });
    server = tlsServer;
  }
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      unsubscribe();
      reject(err);
    };
    server.once("error", fail);
    server.listen(options.port, options.host, () => {
      server.off("error", fail);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : options.port,
        // The listening socket closes now; the connections handed over belong to their servers,
        // which close them (net.Server's callback would wait for every one of them).
        close: async () => {
          unsubscribe();
          server.close();
        },
      });
    });
  });
}
