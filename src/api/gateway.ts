// etcd's HTTP/JSON gateway on the client port: `POST /v3/<service>/<method>` (and /v3beta/...)
// with a JSON body, answered in JSON as etcd's grpc-gateway answers. Each path maps onto a gRPC
// method by name (ROUTES); the request and response types come from the .proto files, so a
// service added to proto/ and registered on the server needs only its table rows here.
//
// Calls go through the gRPC server itself (./loopback.ts): same validation, limits, errors and
// metrics as a gRPC client. The Authorization header travels as the `token` metadata, as etcd's
// gateway sends it. Unary calls answer one JSON object; streaming calls (watch, lease keep-alive,
// snapshot) answer newline-delimited {"result": {...}} objects, and an error mid-stream as
// {"error": {...}}. A streaming request body may hold several JSON objects, one after another.

import type { IncomingMessage, ServerResponse } from "node:http";
import type protobuf from "protobufjs";
import { decodeJsonResponse, encodeJsonRequest, gatewayRoot, JsonMappingError } from "./gateway-json.js";
import type { GrpcStatusResult, LoopbackGrpc } from "./loopback.js";

/** Path after /v3/ (or /v3beta/) → "package.Service/Method", as etcd's rpc.proto annotates them. */
export const ROUTES: Readonly<Record<string, string>> = {
  "kv/range": "etcdserverpb.KV/Range",
  "kv/put": "etcdserverpb.KV/Put",
  "kv/deleterange": "etcdserverpb.KV/DeleteRange",
  "kv/txn": "etcdserverpb.KV/Txn",
  "kv/compaction": "etcdserverpb.KV/Compact",
  watch: "etcdserverpb.Watch/Watch",
  "lease/grant": "etcdserverpb.Lease/LeaseGrant",
  "lease/revoke": "etcdserverpb.Lease/LeaseRevoke",
  "kv/lease/revoke": "etcdserverpb.Lease/LeaseRevoke",
  "lease/keepalive": "etcdserverpb.Lease/LeaseKeepAlive",
  "lease/timetolive": "etcdserverpb.Lease/LeaseTimeToLive",
  "kv/lease/timetolive": "etcdserverpb.Lease/LeaseTimeToLive",
  "lease/leases": "etcdserverpb.Lease/LeaseLeases",
  "kv/lease/leases": "etcdserverpb.Lease/LeaseLeases",
  "cluster/member/add": "etcdserverpb.Cluster/MemberAdd",
  "cluster/member/remove": "etcdserverpb.Cluster/MemberRemove",
  "cluster/member/update": "etcdserverpb.Cluster/MemberUpdate",
  "cluster/member/list": "etcdserverpb.Cluster/MemberList",
  "cluster/member/promote": "etcdserverpb.Cluster/MemberPromote",
  "maintenance/alarm": "etcdserverpb.Maintenance/Alarm",
  "maintenance/status": "etcdserverpb.Maintenance/Status",
  "maintenance/defragment": "etcdserverpb.Maintenance/Defragment",
  "maintenance/hash": "etcdserverpb.Maintenance/Hash",
  "maintenance/snapshot": "etcdserverpb.Maintenance/Snapshot",
  "maintenance/transfer-leadership": "etcdserverpb.Maintenance/MoveLeader",
  // etcd's Auth service: served once etcdserverpb.Auth is in proto/ and registered on the server;
  // until then these paths answer 501 like any method the server lacks.
  "auth/enable": "etcdserverpb.Auth/AuthEnable",
  "auth/disable": "etcdserverpb.Auth/AuthDisable",
  "auth/status": "etcdserverpb.Auth/AuthStatus",
  "auth/authenticate": "etcdserverpb.Auth/Authenticate",
  "auth/user/add": "etcdserverpb.Auth/UserAdd",
  "auth/user/get": "etcdserverpb.Auth/UserGet",
  "auth/user/list": "etcdserverpb.Auth/UserList",
  "auth/user/delete": "etcdserverpb.Auth/UserDelete",
  "auth/user/changepw": "etcdserverpb.Auth/UserChangePassword",
  "auth/user/grant": "etcdserverpb.Auth/UserGrantRole",
  "auth/user/revoke": "etcdserverpb.Auth/UserRevokeRole",
  "auth/role/add": "etcdserverpb.Auth/RoleAdd",
  "auth/role/get": "etcdserverpb.Auth/RoleGet",
  "auth/role/list": "etcdserverpb.Auth/RoleList",
  "auth/role/delete": "etcdserverpb.Auth/RoleDelete",
  "auth/role/grant": "etcdserverpb.Auth/RoleGrantPermission",
  "auth/role/revoke": "etcdserverpb.Auth/RoleRevokePermission",
};

/** grpc-gateway's (v1, as etcd 3.4 uses) HTTP status for each gRPC code. */
const HTTP_STATUS_OF_CODE = [
  200, 408, 500, 400, 504, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401,
];

const GRPC = { INVALID_ARGUMENT: 3, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

interface ResolvedMethod {
  readonly grpcPath: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** The gRPC method behind a gateway path, or a reason it has none. */
export function resolveRoute(path: string): ResolvedMethod | "not-found" | "not-served" {
  const match = /^\/v3(?:beta|alpha)?\/(.+?)\/?$/.exec(path);
  const target = match === null ? undefined : ROUTES[match[1]!];
  if (target === undefined) return "not-found";
  const [serviceName, methodName] = target.split("/") as [string, string];
  const service = gatewayRoot().lookup(serviceName);
  const method = (service as protobuf.Service | null)?.methods?.[methodName];
  if (method === undefined) return "not-served";
  method.resolve();
  return {
    grpcPath: `/${target}`,
    requestType: method.resolvedRequestType!,
    responseType: method.resolvedResponseType!,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
  };
}

/** What etcd's gateway sends with every answer (its --cors default allows any origin). */
export const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS, PUT, DELETE",
  "access-control-allow-headers": "accept, content-type, authorization",
} as const;

/** A plain-text answer, as etcd's gateway gives for unknown paths and methods. */
export function sendText(response: ServerResponse, httpStatus: number, text: string): void {
  response.writeHead(httpStatus, {
    ...CORS_HEADERS,
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function sendJson(response: ServerResponse, httpStatus: number, body: unknown): void {
  // No newline after a unary answer (etcd's gateway adds none); streamed objects end with one.
  const text = JSON.stringify(body);
  response.writeHead(httpStatus, {
    ...CORS_HEADERS,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** grpc-gateway's unary error body. */
function sendError(response: ServerResponse, status: GrpcStatusResult): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  sendJson(response, HTTP_STATUS_OF_CODE[status.code] ?? 500, {
    error: status.message,
    message: status.message,
    code: status.code,
  });
}

/** Splits a byte stream into the top-level JSON values it holds (objects, one after another). */
export class JsonObjectSplitter {
  #text = "";
  #depth = 0;
  #inString = false;
  #escaped = false;
  #start = 0;
  #scanned = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds text; returns the complete values found. Throws JsonMappingError on bad input. */
  push(chunk: string): unknown[] {
    this.#text += chunk;
    const out: unknown[] = [];
    for (let i = this.#scanned; i < this.#text.length; i++) {
      const c = this.#text[i]!;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === "\\") this.#escaped = true;
        else if (c === '"') this.#inString = false;
      } else if (c === '"') {
        this.#inString = true;
      } else if (c === "{" || c === "[") {
        if (this.#depth === 0) this.#start = i;
        this.#depth++;
      } else if (c === "}" || c === "]") {
        this.#depth--;
        if (this.#depth < 0) throw new JsonMappingError("unbalanced JSON in the request body");
        if (this.#depth === 0) out.push(parseJson(this.#text.slice(this.#start, i + 1)));
      } else if (this.#depth === 0 && !/\s/.test(c)) {
        throw new JsonMappingError(`unexpected ${JSON.stringify(c)} between JSON objects`);
      }
    }
    if (this.#depth === 0) {
      this.#text = "";
      this.#scanned = 0;
    } else {
      this.#text = this.#text.slice(this.#start);
      this.#start = 0;
      this.#scanned = this.#text.length;
      if (this.#text.length > this.#maxBytes) throw new JsonMappingError("request message too large");
    }
    return out;
  }

  /** True when no value is open. */
  get idle(): boolean {
    return this.#depth === 0;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonMappingError(`bad JSON: ${(err as Error).message}`);
  }
}

export interface GatewayOptions {
  readonly loopback: LoopbackGrpc;
  /** Largest request body accepted (bytes of JSON). */
  readonly maxBodyBytes: number;
}

function metadataOf(request: IncomingMessage): Record<string, string> {
  const authorization = request.headers.authorization;
  return authorization === undefined || authorization === "" ? {} : { token: authorization };
}

/** Reads the whole body (bounded); rejects with JsonMappingError when too large. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Refused; the rest is read and dropped so that the answer reaches the client.
        request.off("data", onData);
        request.resume();
        chunks.length = 0;
        reject(new JsonMappingError(`request body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

async function serveUnary(
  options: GatewayOptions,
  method: ResolvedMethod,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  let message: Buffer;
  try {
    const body = await readBody(request, options.maxBodyBytes);
    message = encodeJsonRequest(method.requestType, body.trim() === "" ? {} : parseJson(body));
  } catch (err) {
    sendError(response, { code: GRPC.INVALID_ARGUMENT, message: (err as Error).message });
    return;
  }
  let answer: Buffer | undefined;
  const call = options.loopback.call(method.grpcPath, metadataOf(request), {
    onMessage: (m) => {
      answer ??= Buffer.from(m);
    },
    onStatus: (status) => {
      if (status.code !== 0) return sendError(response, status);
      if (answer === undefined) {
        return sendError(response, { code: GRPC.INTERNAL, message: "no response message" });
      }
      sendJson(response, 200, decodeJsonResponse(method.responseType, answer));
    },
  });
  response.on("close", () => {
    if (!response.writableFinished) call.cancel();
  });
  call.write(message);
  call.end();
}

function serveStream(
  options: GatewayOptions,
  method: ResolvedMethod,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const startStream = (): void => {
    if (response.headersSent) return;
    response.writeHead(200, { ...CORS_HEADERS, "content-type": "application/json" });
    response.flushHeaders();
  };
  let done = false;
  const call = options.loopback.call(method.grpcPath, metadataOf(request), {
    onMessage: (m) => {
      startStream();
      const line = `${JSON.stringify({ result: decodeJsonResponse(method.responseType, m) })}\n`;
      if (!response.write(line)) {
        call.pause();
        response.once("drain", () => call.resume());
      }
    },
    onStatus: (status) => {
      done = true;
      if (status.code !== 0) {
        if (!response.headersSent) return sendError(response, status);
        const httpCode = HTTP_STATUS_OF_CODE[status.code] ?? 500;
        response.write(
          `${JSON.stringify({ error: { grpc_code: status.code, http_code: httpCode, message: status.message, http_status: "" } })}\n`,
        );
      }
      startStream();
      response.end();
    },
  });
  response.on("close", () => {
    if (!done) call.cancel();
  });
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    call.cancel();
    sendError(response, { code: GRPC.INVALID_ARGUMENT, message: err.message });
  };
  const splitter = new JsonObjectSplitter(options.maxBodyBytes);
  let sent = 0;
  request.setEncoding("utf8");
  request.on("data", (chunk: string) => {
    try {
      for (const value of splitter.push(chunk)) {
        if (!method.requestStream && sent > 0) continue;
        call.write(encodeJsonRequest(method.requestType, value));
        sent++;
      }
    } catch (err) {
      request.removeAllListeners("data");
      request.resume();
      fail(err as Error);
    }
  });
  request.on("end", () => {
    if (failed) return;
    if (!splitter.idle) return fail(new JsonMappingError("the request body ends inside a JSON object"));
    // A server-streaming call needs its one request even when the body was empty.
    if (sent === 0 && !method.requestStream) call.write(encodeJsonRequest(method.requestType, {}));
    call.end();
  });
}

/**
 * Serves a request if its path is a gateway path; returns false otherwise (the caller answers).
 */
export function serveGateway(
  options: GatewayOptions,
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  const path = (request.url ?? "/").split("?", 1)[0]!;
  if (!/^\/v3(beta|alpha)?\//.test(path)) return false;
  const method = resolveRoute(path);
  if (method === "not-found") {
    sendText(response, 404, "Not Found\n");
    return true;
  }
  if (request.method === "OPTIONS") {
    // A browser's CORS preflight.
    response.writeHead(200, CORS_HEADERS);
    response.end();
    return true;
  }
  if (request.method !== "POST") {
    sendText(response, 405, "Method Not Allowed\n");
    return true;
  }
  if (method === "not-served") {
    sendError(response, { code: GRPC.UNIMPLEMENTED, message: `${path} is not served by this raftkv` });
    return true;
  }
  if (method.requestStream || method.responseStream) serveStream(options, method, request, response);
  else
    void serveUnary(options, method, request, response).catch((err: unknown) =>
      sendError(response, { code: GRPC.INTERNAL, message: (err as Error).message }),
    );
  return true;
}
