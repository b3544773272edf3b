// etcdserverpb.KV: Range (linearizable by default, local when serializable), Put, DeleteRange,
// Txn and Compact (proposed through the backend). Requests are validated here, before they are
// proposed, with etcd's rules and messages (src/kv/validate.ts).
//
// The write methods are registered with a wrapping deserializer (kvServiceDefinition): a request
// over maxRequestBytes is not decoded at all, and an accepted one keeps the bytes it arrived in,
// handed to the backend so the node can frame them as a command without encoding them again.
// Put and Range responses are encoded by hand (./fast-encode.ts), the header once per revision.

import type { MethodDefinition, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type {
  CompactionRequest,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
} from "../kv/types.js";
import {
  type KvLimits,
  validateDeleteRange,
  validatePut,
  validateRange,
  validateTxn,
} from "../kv/validate.js";
import { type HandlerContext, unary } from "./call.js";
import { REQUEST_TOO_LARGE } from "./errors.js";
import { encodePutResponse, encodeRangeResponse } from "./fast-encode.js";

const SERVICE = "etcdserverpb.KV";

export type KvServiceLimits = KvLimits;

/** A decoded write request and the protobuf bytes it was decoded from. */
export class ReceivedRequest<Request> {
  readonly request: Request;
  readonly bytes: Buffer;
  constructor(request: Request, bytes: Buffer) {
    this.request = request;
    this.bytes = bytes;
  }
}

/** What the write methods' deserializer yields for a request over maxRequestBytes. */
export const TOO_LARGE_REQUEST: unique symbol = Symbol("request too large");

type Received<Request> = ReceivedRequest<Request> | typeof TOO_LARGE_REQUEST;

const WRITE_METHODS = ["Put", "DeleteRange", "Txn"] as const;

/** Responses encoded by hand (./fast-encode.ts); other shapes fall back to the generic encoder. */
const FAST_RESPONSES = [
  ["Put", encodePutResponse],
  ["Range", encodeRangeResponse],
] as const;

/** The KV service definition kvService expects: write methods decode to ReceivedRequest. */
export function kvServiceDefinition(
  definition: ServiceDefinition,
  maxRequestBytes: number,
): ServiceDefinition {
  const wrapped: Record<string, MethodDefinition<unknown, unknown>> = { ...definition };
  for (const [name, encode] of FAST_RESPONSES) {
    const method = definition[name];
    if (method === undefined) throw new Error(`KV service definition has no method ${name}`);
    const generic = method.responseSerialize;
    wrapped[name] = {
      ...method,
      responseSerialize: (response: unknown): Buffer => encode(response as never) ?? generic(response),
    };
  }
  for (const name of WRITE_METHODS) {
    const method = wrapped[name] ?? definition[name];
    if (method === undefined) throw new Error(`KV service definition has no method ${name}`);
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): Received<unknown> =>
        bytes.length > maxRequestBytes ? TOO_LARGE_REQUEST : new ReceivedRequest(decode(bytes), bytes),
    };
  }
  return wrapped as ServiceDefinition;
}

function accepted<Request>(received: Received<Request>): ReceivedRequest<Request> {
  if (received === TOO_LARGE_REQUEST) throw REQUEST_TOO_LARGE;
  return received;
}

export function kvService(context: HandlerContext, limits: KvLimits): UntypedServiceImplementation {
  const backend = context.backend;
  // Authorization (auth-guard.ts): each check is one property read while auth is disabled.
  const auth = context.auth;

  /** Completes the header of a response the state machine produced (it may carry the op's revision). */
  const withHeader = <Response extends { header?: ResponseHeader | null }>(response: Response): Response => {
    const header = response.header;
    if (header === undefined || header === null) {
      response.header = context.header();
    } else {
      header.clusterId = backend.clusterId;
      header.memberId = backend.memberId;
      header.raftTerm = backend.raftTerm();
      if (!(header.revision > 0)) header.revision = backend.kv.revision;
    }
    return response;
  };
  /**
   * With auth on, a write is checked after a read barrier: against the auth state of everything
   * committed before it arrived, not a lagging member's (docs/auth.md), then proposed.
   */
  const authorized = async (
    check: () => void,
    kind: "put" | "deleteRange" | "txn",
    request: object,
    bytes: Buffer,
  ): Promise<object> => {
    await backend.readBarrier();
    check();
    return backend.propose(kind, request, bytes);
  };
  /** The latest revision is served from memory synchronously; a past one needs a disk read. */
  const rangeNow = (request: RangeRequest): RangeResponse | Promise<RangeResponse> => {
    const kv = backend.kv;
    if (request.revision <= 0 || request.revision === kv.revision) return kv.range(request);
    return kv.rangeAt(request);
  };

  return {
    Range: unary(
      context,
      SERVICE,
      "Range",
      (request: RangeRequest, call) => {
        validateRange(request, limits);
        if (request.serializable) {
          auth?.checkRange(call, request);
          return rangeNow(request);
        }
        // Linearizable: the permissions checked are those of the state read, after the barrier.
        if (auth?.enabled) {
          return backend.readBarrier().then(() => {
            auth.checkRange(call, request);
            return rangeNow(request);
          });
        }
        return backend.readBarrier().then(() => rangeNow(request));
      },
      withHeader,
    ),
    Put: unary(
      context,
      SERVICE,
      "Put",
      (received: Received<PutRequest>, call) => {
        const { request, bytes } = accepted(received);
        validatePut(request, limits);
        if (auth?.enabled) return authorized(() => auth.checkPut(call, request), "put", request, bytes);
        return backend.propose("put", request, bytes);
      },
      withHeader,
    ),
    DeleteRange: unary(
      context,
      SERVICE,
      "DeleteRange",
      (received: Received<DeleteRangeRequest>, call) => {
        const { request, bytes } = accepted(received);
        validateDeleteRange(request, limits);
        if (auth?.enabled) {
          return authorized(() => auth.checkDeleteRange(call, request), "deleteRange", request, bytes);
        }
        return backend.propose("deleteRange", request, bytes);
      },
      withHeader,
    ),
    Txn: unary(
      context,
      SERVICE,
      "Txn",
      (received: Received<TxnRequest>, call) => {
        const { request, bytes } = accepted(received);
        validateTxn(request, limits);
        if (auth?.enabled) return authorized(() => auth.checkTxn(call, request), "txn", request, bytes);
        return backend.propose("txn", request, bytes);
      },
      withHeader,
    ),
    Compact: unary(
      context,
      SERVICE,
      "Compact",
      async (request: CompactionRequest, call) => {
        // As etcd: no key permission is needed to compact (kube-apiserver compacts with its own
        // user), but a token given must be valid.
        auth?.checkToken(call);
        const response = await backend.propose("compaction", request);
        // physical: answer once this member has removed the history (etcd waits for its own).
        if (request.physical) await backend.kv.waitCompaction?.(request.revision);
        return response;
      },
      withHeader,
    ),
  };
}
