// Enforcement of etcd's authorization on the client API (etcd's AuthInfoFromCtx and the checks of
// server/etcdserver/apply/apply_auth.go), over the replicated auth table (src/kv/auth.ts).
//
// Who calls: the token in gRPC metadata "token" (what etcdctl and clientv3 send) or
// "authorization" (etcd's gateway header name; an optional "Bearer " prefix is accepted), then,
// with --client-cert-auth, the common name of the client's verified TLS certificate. No
// credentials: the caller is nobody, and every check but the disabled-auth fast path fails with
// "etcdserver: user name is empty", as etcd. A token that is unknown or expired fails with
// "etcdserver: invalid auth token" (UNAUTHENTICATED), so clients re-authenticate.
//
// With auth disabled every check is one property read (the hot path stays as fast as before).
//
// raftkv checks on the member that receives the call, against its applied auth state, before
// proposing (etcd checks again when applying, with the auth revision in the entry): see
// docs/auth.md.

import type { Metadata } from "@grpc/grpc-js";
import type { AuthTable } from "../kv/auth.js";
import { rangePermitted } from "../kv/auth-perms.js";
import { KvError } from "../kv/errors.js";
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from "../kv/types.js";
import type { TokenProvider } from "./auth-tokens.js";

/** The metadata keys a token may arrive under (etcd's TokenFieldNameGRPC and TokenFieldNameSwagger). */
export const TOKEN_METADATA_KEYS = ["token", "authorization"] as const;

/** The caller of a request: a user name, or null for none. */
export type Caller = string | null;

/** The part of a grpc-js call the guard reads (a gateway may pass an object of this shape). */
export interface CallCredentials {
  readonly metadata: Metadata;
  /** grpc-js: the TLS peer certificate, when the connection is TLS with a client certificate. */
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } | undefined;
}

export interface AuthGuardOptions {
  table: AuthTable;
  tokens: TokenProvider;
  /** etcd's --client-cert-auth: without a token, the client certificate's common name is the user. */
  clientCertAuth?: boolean;
  /** The keys attached to a lease (replicated state); none for an unknown lease. */
  leaseKeys?: (lease: number) => Iterable<Buffer>;
}

/**
 * The user a client certificate's common name names (etcd's AuthInfoFromTLS); the hook for TLS.
 * Trusted only because --client-cert-auth makes the TLS handshake refuse any client certificate
 * the CA did not sign (grpc-js createSsl with checkClientCertificate): never enable clientCertAuth
 * on a server that accepts unverified certificates.
 */
export function callerFromCommonName(commonName: string | string[] | undefined): Caller {
  const cn = Array.isArray(commonName) ? commonName[0] : commonName;
  return cn === undefined || cn === "" ? null : cn;
}

function tokenOf(metadata: Metadata): string | undefined {
  for (const key of TOKEN_METADATA_KEYS) {
    const values = metadata.get(key);
    const first = values[0];
    if (first !== undefined) {
      const text = typeof first === "string" ? first : first.toString("utf8");
      return text.startsWith("Bearer ") ? text.slice("Bearer ".length) : text;
    }
  }
  return undefined;
}

export class AuthGuard {
  readonly table: AuthTable;
  readonly tokens: TokenProvider;
  readonly #clientCertAuth: boolean;
  readonly #leaseKeys: (lease: number) => Iterable<Buffer>;

  constructor(options: AuthGuardOptions) {
    this.table = options.table;
    this.tokens = options.tokens;
    this.#clientCertAuth = options.clientCertAuth === true;
    this.#leaseKeys = options.leaseKeys ?? (() => []);
  }

  get enabled(): boolean {
    return this.table.enabled;
  }

  /**
   * etcd's AuthInfoFromCtx: the caller of a call; null when auth is disabled or the call carries
   * no credentials. Throws "invalid auth token" for a token that names nobody.
   */
  caller(call: CallCredentials): Caller {
    if (!this.table.enabled) return null;
    const token = tokenOf(call.metadata);
    if (token !== undefined) {
      const info = this.tokens.info(token);
      if (info === undefined) throw new KvError("RAFTKV_AUTH_INVALID_TOKEN");
      // A JWT names the auth revision it was issued at: once users or roles changed, the client
      // must authenticate again (etcd's ErrAuthOldRevision; clientv3 does so by itself).
      if (info.revision !== undefined && info.revision < this.table.revision) {
        throw new KvError("RAFTKV_AUTH_OLD_REVISION");
      }
      return info.username;
    }
    if (!this.#clientCertAuth) return null;
    return callerFromCommonName(call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN);
  }

  /** etcd's IsAdminPermitted: auth disabled, or the caller holds the root role. */
  checkAdmin(call: CallCredentials): void {
    if (!this.table.enabled) return;
    this.#checkAdminCaller(this.caller(call));
  }

  #checkAdminCaller(caller: Caller): void {
    if (caller === null) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
    if (this.table.user(caller) === undefined) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
    if (!this.table.hasRootRole(caller)) throw new KvError("RAFTKV_PERMISSION_DENIED");
  }

  /** Whether the caller may act as admin (no throw). */
  isAdmin(caller: Caller): boolean {
    return !this.table.enabled || (caller !== null && this.table.hasRootRole(caller));
  }

  /** Validates the call's token, if any (calls etcd does not check further, e.g. LeaseGrant). */
  checkToken(call: CallCredentials): void {
    if (this.table.enabled) this.caller(call);
  }

  /** etcd's isOpPermitted for one key or range. */
  checkKeys(caller: Caller, kind: "read" | "write", key: Buffer, rangeEnd: Buffer): void {
    if (!this.table.enabled) return;
    if (caller === null) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
    if (this.table.hasRootRole(caller)) return;
    const perms = this.table.permissionsOf(caller);
    if (perms === undefined || !rangePermitted(perms, kind, key, rangeEnd)) {
      throw new KvError("RAFTKV_PERMISSION_DENIED");
    }
  }

  checkRange(call: CallCredentials, req: RangeRequest): void {
    if (!this.table.enabled) return;
    this.checkKeys(this.caller(call), "read", req.key, req.rangeEnd);
  }

  checkPut(call: CallCredentials, req: PutRequest): void {
    if (!this.table.enabled) return;
    this.#checkPut(this.caller(call), req);
  }

  #checkPut(caller: Caller, req: PutRequest): void {
    this.checkKeys(caller, "write", req.key, EMPTY);
    // etcd's checkLeasePuts: attaching to a lease whose keys the caller may not write is refused
    // (the caller could not revoke it).
    if (req.lease !== 0) this.checkLeaseKeys(caller, this.#leaseKeys(req.lease));
    if (req.prevKv) this.checkKeys(caller, "read", req.key, EMPTY);
  }

  checkDeleteRange(call: CallCredentials, req: DeleteRangeRequest): void {
    if (!this.table.enabled) return;
    const caller = this.caller(call);
    this.checkKeys(caller, "write", req.key, req.rangeEnd);
    if (req.prevKv) this.checkKeys(caller, "read", req.key, req.rangeEnd);
  }

  /** Every compare, and every op of both branches (nested txns too). */
  checkTxn(call: CallCredentials, req: TxnRequest): void {
    if (!this.table.enabled) return;
    this.#checkTxn(this.caller(call), req);
  }

  #checkTxn(caller: Caller, req: TxnRequest): void {
    for (const c of req.compare) this.checkKeys(caller, "read", c.key, c.rangeEnd);
    for (const op of [...req.success, ...req.failure]) this.#checkOp(caller, op);
  }

  #checkOp(caller: Caller, op: RequestOp): void {
    if (op.requestRange) this.checkKeys(caller, "read", op.requestRange.key, op.requestRange.rangeEnd);
    else if (op.requestPut) this.#checkPut(caller, op.requestPut);
    else if (op.requestDeleteRange) {
      const d = op.requestDeleteRange;
      if (d.prevKv) this.checkKeys(caller, "read", d.key, d.rangeEnd);
      this.checkKeys(caller, "write", d.key, d.rangeEnd);
    } else if (op.requestTxn) this.#checkTxn(caller, op.requestTxn);
  }

  /** etcd's checkLeasePutsKeys: admin, or write permission on every key attached to the lease. */
  checkLeaseKeys(caller: Caller, keys: Iterable<Buffer>): void {
    if (!this.table.enabled || this.isAdmin(caller)) return;
    for (const key of keys) this.checkKeys(caller, "write", key, EMPTY);
  }

  /** LeaseRevoke: etcd's checkLeasePuts (write permission on the lease's keys, or admin). */
  checkLeaseRevoke(call: CallCredentials, lease: number): void {
    if (!this.table.enabled) return;
    const caller = this.caller(call);
    if (caller === null) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
    this.checkLeaseKeys(caller, this.#leaseKeys(lease));
  }

  /** LeaseTimeToLive: etcd's checkLeaseTimeToLive (read permission on each attached key). */
  checkLeaseTimeToLive(call: CallCredentials, lease: number): void {
    if (!this.table.enabled) return;
    const caller = this.caller(call);
    if (caller === null) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
    for (const key of this.#leaseKeys(lease)) this.checkKeys(caller, "read", key, EMPTY);
  }

  /** Watch: read permission on the watched range. Returns the refusal's message, or undefined. */
  watchRefusal(call: CallCredentials, key: Buffer, rangeEnd: Buffer): string | undefined {
    if (!this.table.enabled) return undefined;
    try {
      this.checkKeys(this.caller(call), "read", key, rangeEnd);
      return undefined;
    } catch (err) {
      if (err instanceof KvError) return err.message;
      throw err;
    }
  }
}

const EMPTY = Buffer.alloc(0);
