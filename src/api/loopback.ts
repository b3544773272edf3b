// In-process gRPC calls for the HTTP/JSON gateway: an HTTP/2 client session over an in-memory
// duplex pair whose other end is injected into the gRPC server as a connection. Every gateway
// request is a real gRPC call through the same server, handlers, limits and metrics as a remote
// client's, with no socket and no port that could be reached from outside.

import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from "node:http2";
import { Duplex } from "node:stream";

/** Two connected in-memory streams: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const make = (other: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
      destroy(error, callback) {
        const peer = other();
        if (!peer.destroyed) peer.destroy();
        callback(error);
      },
    });
  sides.push(
    make(() => sides[1]!),
    make(() => sides[0]!),
  );
  return [sides[0]!, sides[1]!];
}

export interface GrpcStatusResult {
  readonly code: number;
  readonly message: string;
}

export interface LoopbackCall {
  /** Sends one message (length-prefixed gRPC frame). */
  write(message: Uint8Array): void;
  /** Half-closes the request stream. */
  end(): void;
  /** Cancels the call (the HTTP client went away). */
  cancel(): void;
  /** Pauses/resumes reading responses (back-pressure from the HTTP response). */
  pause(): void;
  resume(): void;
}

export interface LoopbackHandlers {
  onMessage(message: Buffer): void;
  /** The call ended with this status (OK included); called once. */
  onStatus(status: GrpcStatusResult): void;
}

function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

function statusOf(headers: IncomingHttpHeaders): GrpcStatusResult | undefined {
  const code = headers["grpc-status"];
  if (code === undefined) return undefined;
  const raw = headers["grpc-message"];
  let message = typeof raw === "string" ? raw : "";
  try {
    message = decodeURIComponent(message);
  } catch {
    // keep it as sent
  }
  return { code: Number(code), message };
}

/** Splits the response body into gRPC messages. */
function frameReader(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) break;
      onMessage(pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
    }
  };
}

export class LoopbackGrpc {
  readonly #inject: (connection: Duplex) => void;
  #session: ClientHttp2Session | null = null;
  #closed = false;

  constructor(inject: (connection: Duplex) => void) {
    this.#inject = inject;
  }

  #sessionNow(): ClientHttp2Session {
    const current = this.#session;
    if (current !== null && !current.closed && !current.destroyed) return current;
    const [ours, theirs] = duplexPair();
    this.#inject(theirs);
    const session = connect("http://raftkv.gateway", { createConnection: () => ours });
    session.on("error", () => undefined);
    session.on("close", () => {
      if (this.#session === session) this.#session = null;
    });
    this.#session = session;
    return session;
  }

  /** Starts a call to `path` ("/etcdserverpb.KV/Range") with these metadata headers. */
  call(path: string, metadata: Record<string, string>, handlers: LoopbackHandlers): LoopbackCall {
    if (this.#closed) {
      handlers.onStatus({ code: 14, message: "server stopped" });
      return { write() {}, end() {}, cancel() {}, pause() {}, resume() {} };
    }
    const stream: ClientHttp2Stream = this.#sessionNow().request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: path,
      "content-type": "application/grpc",
      te: "trailers",
      ...metadata,
    });
    let finished = false;
    const finish = (status: GrpcStatusResult): void => {
      if (finished) return;
      finished = true;
      handlers.onStatus(status);
    };
    stream.on("response", (headers) => {
      const status = statusOf(headers);
      if (status !== undefined)
        finish(status); // trailers-only answer
      else if (headers[":status"] !== 200) finish({ code: 13, message: `HTTP ${headers[":status"]}` });
    });
    stream.on(
      "data",
      frameReader((message) => handlers.onMessage(message)),
    );
    stream.on("trailers", (trailers) =>
      finish(statusOf(trailers) ?? { code: 13, message: "no grpc-status" }),
    );
    stream.on("close", () => finish({ code: 14, message: "stream closed before its status" }));
    stream.on("error", () => finish({ code: 14, message: "stream failed" }));
    return {
      write: (message) => {
        if (!stream.destroyed) stream.write(grpcFrame(message));
      },
      end: () => {
        if (!stream.destroyed) stream.end();
      },
      cancel: () => {
        if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      },
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    };
  }

  close(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = null;
  }
}
