// The replicated half of authentication: users, roles, whether auth is enabled, and the auth
// revision (etcd's auth store, server/auth/store.go). Applied from the Raft log like every other
// command, so every member holds the same table; stored in the "a" keyspace (layout.ts) in the
// same LevelDB batch as the entry that changed it, so snapshots carry it.
//
// What is NOT here: passwords in the clear (the member that receives UserAdd or
// UserChangePassword hashes the password before proposing: only the hash is in the log), tokens
// and their expiry (soft state of each member, src/api/auth-tokens.ts, fed by the `tokens` this
// table reports for applied Authenticate entries), and request enforcement (src/api/auth-guard.ts).
//
// Invariants:
// - revision starts at 1 and grows by one with every change (etcd's commitRevision).
// - A user's roles are sorted and unique; a role's permissions are sorted by key, and no two have
//   the same key and range_end.
// - Iteration that reaches the output (lists) is sorted, never Map insertion order.

import type protobuf from "protobufjs";
import {
  isValidPermissionRange,
  type MergedPermissions,
  mergePermissions,
  type Permission,
} from "./auth-perms.js";
import { KvError } from "./errors.js";
import {
  AUTH_ENABLED_KEY,
  AUTH_REVISION_KEY,
  authRoleKey,
  authUserKey,
  readU64,
  u64Bytes,
} from "./layout.js";
import { etcdRoot } from "./proto.js";
import type { ResponseHeader } from "./types.js";

export const ROOT_USER = "root";
export const ROOT_ROLE = "root";

/** Requests as proto-loader / protobufjs decode them (camelCase fields). */
export interface UserAddOptions {
  noPassword: boolean;
}
export interface AuthUserAddRequest {
  name: string;
  /** Empty in a proposal: the proposer moved its hash to hashedPassword. */
  password: string;
  options?: UserAddOptions | null;
  /** The password hash (src/api/auth-password.ts format). */
  hashedPassword: string;
}
export interface AuthUserChangePasswordRequest {
  name: string;
  password: string;
  hashedPassword: string;
}
export interface AuthNameRequest {
  name: string;
}
export interface AuthRoleRequest {
  role: string;
}
export interface AuthUserGrantRoleRequest {
  user: string;
  role: string;
}
export interface AuthUserRevokeRoleRequest {
  name: string;
  role: string;
}
export interface AuthRoleGrantPermissionRequest {
  name: string;
  perm?: Permission | null;
}
export interface AuthRoleRevokePermissionRequest {
  role: string;
  key: Buffer;
  rangeEnd: Buffer;
}
export interface InternalAuthenticateRequest {
  name: string;
  simpleToken: string;
  authRevision: number;
}

export interface AuthUser {
  readonly name: string;
  /** The stored password hash; empty for a user without password. */
  readonly password: Buffer;
  /** Sorted, unique. */
  readonly roles: readonly string[];
  readonly noPassword: boolean;
}

export interface AuthRole {
  readonly name: string;
  /** Sorted by key. */
  readonly permissions: readonly Permission[];
}

/** A simple token an applied Authenticate entry assigned (every member records it). */
export interface AssignedToken {
  token: string;
  user: string;
}

/** What one applied batch changed in auth, for the members' token stores. */
export interface AuthChanges {
  /** Tokens assigned, in apply order. */
  tokens: AssignedToken[];
  /** Users deleted or whose password changed: their tokens are void. */
  invalidated: string[];
  /** Every token is void: auth was disabled, or a snapshot replaced the whole table. */
  allVoid: boolean;
}

type Op = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
};

let userType: protobuf.Type | undefined;
let roleType: protobuf.Type | undefined;

function types(): { user: protobuf.Type; role: protobuf.Type } {
  userType ??= etcdRoot().lookupType("authpb.User");
  roleType ??= etcdRoot().lookupType("authpb.Role");
  return { user: userType, role: roleType };
}

const PERM_TYPES: Readonly<Record<string, number>> = { READ: 0, WRITE: 1, READWRITE: 2 };

export function encodeUser(user: AuthUser): Buffer {
  const { user: type } = types();
  const message: Record<string, unknown> = { name: Buffer.from(user.name, "utf8"), roles: [...user.roles] };
  if (user.password.length > 0) message.password = user.password;
  if (user.noPassword) message.options = { noPassword: true };
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

export function decodeUser(bytes: Buffer): AuthUser {
  const { user: type } = types();
  const o = type.toObject(type.decode(bytes), TO_OBJECT) as {
    name: Buffer;
    password: Buffer;
    roles: string[];
    options?: { noPassword?: boolean } | null;
  };
  return {
    name: o.name.toString("utf8"),
    password: Buffer.from(o.password),
    roles: [...o.roles],
    noPassword: o.options?.noPassword === true,
  };
}

export function encodeRole(role: AuthRole): Buffer {
  const { role: type } = types();
  const message = {
    name: Buffer.from(role.name, "utf8"),
    keyPermission: role.permissions.map((p) => ({
      permType: PERM_TYPES[p.permType],
      key: p.key,
      rangeEnd: p.rangeEnd,
    })),
  };
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

export function decodeRole(bytes: Buffer): AuthRole {
  const { role: type } = types();
  const o = type.toObject(type.decode(bytes), TO_OBJECT) as {
    name: Buffer;
    keyPermission: { permType: Permission["permType"]; key: Buffer; rangeEnd: Buffer }[];
  };
  return {
    name: o.name.toString("utf8"),
    permissions: o.keyPermission.map((p) => ({
      permType: p.permType,
      key: Buffer.from(p.key),
      rangeEnd: Buffer.from(p.rangeEnd),
    })),
  };
}

function header(revision: number): ResponseHeader {
  return { clusterId: 0, memberId: 0, revision, raftTerm: 0 };
}

/** The permission etcd reports for the root role: read and write on every key. */
export const ROOT_PERMISSION: Permission = {
  permType: "READWRITE",
  key: Buffer.alloc(0),
  rangeEnd: Buffer.of(0),
};

export class AuthTable {
  #enabled = false;
  #revision = 1;
  readonly #users = new Map<string, AuthUser>();
  readonly #roles = new Map<string, AuthRole>();
  /** Merged permissions per user, rebuilt lazily after any change. */
  #merged = new Map<string, MergedPermissions>();
  #changes: AuthChanges = { tokens: [], invalidated: [], allVoid: false };

  get enabled(): boolean {
    return this.#enabled;
  }

  /** etcd's auth revision: 1 for a store never changed, +1 per change. */
  get revision(): number {
    return this.#revision;
  }

  user(name: string): AuthUser | undefined {
    return this.#users.get(name);
  }

  role(name: string): AuthRole | undefined {
    return this.#roles.get(name);
  }

  /** Every user name, sorted. */
  userNames(): string[] {
    return [...this.#users.keys()].sort();
  }

  /** Every role name, sorted. */
  roleNames(): string[] {
    return [...this.#roles.keys()].sort();
  }

  hasRootRole(name: string): boolean {
    return this.#users.get(name)?.roles.includes(ROOT_ROLE) === true;
  }

  /** The merged permissions of a user's roles; undefined for an unknown user. */
  permissionsOf(name: string): MergedPermissions | undefined {
    const cached = this.#merged.get(name);
    if (cached !== undefined) return cached;
    const user = this.#users.get(name);
    if (user === undefined) return undefined;
    const perms = user.roles.flatMap((r) => this.#roles.get(r)?.permissions ?? []);
    const merged = mergePermissions(perms);
    this.#merged.set(name, merged);
    return merged;
  }

  /** The changes since the last call (apply() hands them to its listeners). */
  takeChanges(): AuthChanges {
    const changes = this.#changes;
    this.#changes = { tokens: [], invalidated: [], allVoid: false };
    return changes;
  }

  clear(): void {
    this.#enabled = false;
    this.#revision = 1;
    this.#users.clear();
    this.#roles.clear();
    this.#merged = new Map();
    this.#changes = { tokens: [], invalidated: [], allVoid: false };
  }

  // ---- Loading (the "a" keyspace, any order) ----

  restoreEnabled(value: Buffer): void {
    this.#enabled = value.length > 0 && value[0] === 1;
  }

  restoreRevision(value: Buffer): void {
    this.#revision = readU64(value, 0);
  }

  restoreUser(value: Buffer): void {
    const user = decodeUser(value);
    this.#users.set(user.name, user);
  }

  restoreRole(value: Buffer): void {
    const role = decodeRole(value);
    this.#roles.set(role.name, role);
  }

  // ---- Applying (deterministic; each throws a KvError before changing anything) ----

  enable(ops: Op[]): { header: ResponseHeader } {
    if (!this.#enabled) {
      const root = this.#users.get(ROOT_USER);
      if (root === undefined) throw new KvError("RAFTKV_AUTH_ROOT_USER_NOT_EXIST");
      if (!root.roles.includes(ROOT_ROLE)) throw new KvError("RAFTKV_AUTH_ROOT_ROLE_NOT_EXIST");
      this.#enabled = true;
      ops.push({ type: "put", key: AUTH_ENABLED_KEY, value: Buffer.of(1) });
    }
    return { header: header(0) };
  }

  disable(ops: Op[]): { header: ResponseHeader } {
    if (this.#enabled) {
      this.#enabled = false;
      ops.push({ type: "put", key: AUTH_ENABLED_KEY, value: Buffer.of(0) });
      this.#commit(ops);
      this.#changes.allVoid = true;
      this.#changes.tokens = [];
    }
    return { header: header(0) };
  }

  /** Applied Authenticate: the proposer checked the password at `authRevision`. */
  authenticate(req: InternalAuthenticateRequest): { header: ResponseHeader; token: string } {
    if (!this.#enabled) throw new KvError("RAFTKV_AUTH_NOT_ENABLED");
    const user = this.#users.get(req.name);
    if (user === undefined || user.noPassword) throw new KvError("RAFTKV_AUTH_FAILED");
    // The password, or the user, may have changed since it was checked: the proposer retries.
    if (req.authRevision !== this.#revision) throw new KvError("RAFTKV_AUTH_OLD_REVISION");
    if (req.simpleToken !== "") this.#changes.tokens.push({ token: req.simpleToken, user: req.name });
    return { header: header(0), token: req.simpleToken };
  }

  userAdd(req: AuthUserAddRequest, ops: Op[]): { header: ResponseHeader } {
    if (req.name.length === 0) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
    if (this.#users.has(req.name)) throw new KvError("RAFTKV_AUTH_USER_EXISTS");
    const noPassword = req.options?.noPassword === true;
    const password = noPassword ? Buffer.alloc(0) : Buffer.from(req.hashedPassword, "utf8");
    this.#putUser({ name: req.name, password, roles: [], noPassword }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  userDelete(req: AuthNameRequest, ops: Op[]): { header: ResponseHeader } {
    if (this.#enabled && req.name === ROOT_USER) throw new KvError("RAFTKV_AUTH_INVALID_MGMT");
    if (!this.#users.has(req.name)) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
    this.#users.delete(req.name);
    ops.push({ type: "del", key: authUserKey(req.name) });
    this.#commit(ops);
    this.#invalidate(req.name);
    return { header: header(0) };
  }

  userChangePassword(req: AuthUserChangePasswordRequest, ops: Op[]): { header: ResponseHeader } {
    const user = this.#users.get(req.name);
    if (user === undefined) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
    const password = user.noPassword ? Buffer.alloc(0) : Buffer.from(req.hashedPassword, "utf8");
    this.#putUser({ ...user, password }, ops);
    this.#commit(ops);
    this.#invalidate(req.name);
    return { header: header(0) };
  }

  userGrantRole(req: AuthUserGrantRoleRequest, ops: Op[]): { header: ResponseHeader } {
    const user = this.#users.get(req.user);
    if (user === undefined) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
    if (req.role !== ROOT_ROLE && !this.#roles.has(req.role)) throw new KvError("RAFTKV_AUTH_ROLE_NOT_FOUND");
    // Granting a role the user holds changes nothing (etcd: ignored, no new revision).
    if (user.roles.includes(req.role)) return { header: header(0) };
    this.#putUser({ ...user, roles: [...user.roles, req.role].sort() }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  userRevokeRole(req: AuthUserRevokeRoleRequest, ops: Op[]): { header: ResponseHeader } {
    if (this.#enabled && req.name === ROOT_USER && req.role === ROOT_ROLE) {
      throw new KvError("RAFTKV_AUTH_INVALID_MGMT");
    }
    const user = this.#users.get(req.name);
    if (user === undefined) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
    if (!user.roles.includes(req.role)) throw new KvError("RAFTKV_AUTH_ROLE_NOT_GRANTED");
    this.#putUser({ ...user, roles: user.roles.filter((r) => r !== req.role) }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  roleAdd(req: AuthNameRequest, ops: Op[]): { header: ResponseHeader } {
    if (req.name.length === 0) throw new KvError("RAFTKV_AUTH_ROLE_EMPTY");
    if (this.#roles.has(req.name)) throw new KvError("RAFTKV_AUTH_ROLE_EXISTS");
    this.#putRole({ name: req.name, permissions: [] }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  roleDelete(req: AuthRoleRequest, ops: Op[]): { header: ResponseHeader } {
    if (this.#enabled && req.role === ROOT_ROLE) throw new KvError("RAFTKV_AUTH_INVALID_MGMT");
    if (!this.#roles.has(req.role)) throw new KvError("RAFTKV_AUTH_ROLE_NOT_FOUND");
    this.#roles.delete(req.role);
    ops.push({ type: "del", key: authRoleKey(req.role) });
    // The role leaves every user that held it (sorted: the same writes on every member).
    for (const name of this.userNames()) {
      const user = this.#users.get(name)!;
      if (user.roles.includes(req.role)) {
        this.#putUser({ ...user, roles: user.roles.filter((r) => r !== req.role) }, ops);
      }
    }
    this.#commit(ops);
    return { header: header(0) };
  }

  roleGrantPermission(req: AuthRoleGrantPermissionRequest, ops: Op[]): { header: ResponseHeader } {
    const perm = req.perm;
    if (perm === undefined || perm === null) throw new KvError("RAFTKV_AUTH_PERMISSION_NOT_GIVEN");
    const role = this.#roles.get(req.name);
    if (role === undefined) throw new KvError("RAFTKV_AUTH_ROLE_NOT_FOUND");
    if (!isValidPermissionRange(perm.key, perm.rangeEnd)) throw new KvError("RAFTKV_AUTH_INVALID_MGMT");
    const granted: Permission = {
      permType: perm.permType,
      key: Buffer.from(perm.key),
      rangeEnd: Buffer.from(perm.rangeEnd),
    };
    const others = role.permissions.filter((p) => !samePermissionRange(p, granted.key, granted.rangeEnd));
    const permissions = [...others, granted].sort((a, b) => Buffer.compare(a.key, b.key));
    this.#putRole({ name: role.name, permissions }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  roleRevokePermission(req: AuthRoleRevokePermissionRequest, ops: Op[]): { header: ResponseHeader } {
    const role = this.#roles.get(req.role);
    if (role === undefined) throw new KvError("RAFTKV_AUTH_ROLE_NOT_FOUND");
    const kept = role.permissions.filter((p) => !samePermissionRange(p, req.key, req.rangeEnd));
    if (kept.length === role.permissions.length) throw new KvError("RAFTKV_AUTH_PERMISSION_NOT_GRANTED");
    this.#putRole({ name: role.name, permissions: kept }, ops);
    this.#commit(ops);
    return { header: header(0) };
  }

  /** The user's tokens are void, including any assigned earlier in this batch. */
  #invalidate(name: string): void {
    this.#changes.invalidated.push(name);
    this.#changes.tokens = this.#changes.tokens.filter((t) => t.user !== name);
  }

  #putUser(user: AuthUser, ops: Op[]): void {
    this.#users.set(user.name, user);
    ops.push({ type: "put", key: authUserKey(user.name), value: encodeUser(user) });
  }

  #putRole(role: AuthRole, ops: Op[]): void {
    this.#roles.set(role.name, role);
    ops.push({ type: "put", key: authRoleKey(role.name), value: encodeRole(role) });
  }

  /** One more auth revision; every cached permission set is stale. */
  #commit(ops: Op[]): void {
    this.#revision++;
    this.#merged = new Map();
    ops.push({ type: "put", key: AUTH_REVISION_KEY, value: u64Bytes(this.#revision) });
  }
}

function samePermissionRange(p: Permission, key: Buffer, rangeEnd: Buffer): boolean {
  return p.key.equals(key) && p.rangeEnd.equals(rangeEnd);
}
