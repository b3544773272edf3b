// etcdserverpb.Auth: users, roles and permissions (replicated through Raft: src/kv/auth.ts) and
// Authenticate (tokens: ./auth-tokens.ts).
//
// As etcd: every call but Authenticate needs the root role once auth is enabled, except UserGet
// of oneself and RoleGet of a role one holds. Changes are proposed and answered once applied
// here. UserAdd and UserChangePassword hash the password on this member before proposing; the
// password never enters the log. Reads (get, list, status) are linearizable: served after a
// read barrier from the applied table.

import type { ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  type AuthNameRequest,
  type AuthRoleGrantPermissionRequest,
  type AuthRoleRequest,
  type AuthRoleRevokePermissionRequest,
  type AuthUserAddRequest,
  type AuthUserChangePasswordRequest,
  type AuthUserGrantRoleRequest,
  type AuthUserRevokeRoleRequest,
  ROOT_PERMISSION,
  ROOT_ROLE,
} from "../kv/auth.js";
import { isKvError, KvError } from "../kv/errors.js";
import type { AuthGuard } from "./auth-guard.js";
import { hashPassword, verifyPassword } from "./auth-password.js";
import type { ProposalKind } from "./backend.js";
import { type HandlerContext, unary } from "./call.js";

const SERVICE = "etcdserverpb.Auth";

/** Authenticate retries when the auth store changed between the password check and the apply. */
const AUTHENTICATE_ATTEMPTS = 3;

type Call = ServerUnaryCall<unknown, unknown>;

export interface AuthenticateRequest {
  name: string;
  password: string;
}

export function authService(context: HandlerContext, guard: AuthGuard): UntypedServiceImplementation {
  const backend = context.backend;
  const table = guard.table;
  const headerOnly = () => ({ header: context.header() });
  /** An admin-only change: checked, proposed, answered with a header once applied here. */
  const change = <Request extends object>(
    method: string,
    kind: ProposalKind,
    prepare: (request: Request) => object | Promise<object> = (request) => request,
  ) =>
    unary(context, SERVICE, method, async (request: Request, call: Call) => {
      guard.checkAdmin(call);
      await backend.propose(kind, await prepare(request));
      return headerOnly();
    });
  /** An admin-only read, served after a read barrier. */
  const read = <Request, Response>(method: string, serve: (request: Request, call: Call) => Response) =>
    unary(context, SERVICE, method, async (request: Request, call: Call) => {
      await backend.readBarrier();
      return serve(request, call);
    });

  const authenticate = async (request: AuthenticateRequest): Promise<{ header: object; token: string }> => {
    for (let attempt = 1; ; attempt++) {
      if (!table.enabled) throw new KvError("RAFTKV_AUTH_NOT_ENABLED");
      // The latest users: a user just added through another member can log in here at once.
      await backend.readBarrier();
      const user = table.user(request.name);
      const revision = table.revision;
      if (user === undefined || user.noPassword) throw new KvError("RAFTKV_AUTH_FAILED");
      if (!(await verifyPassword(request.password, user.password))) throw new KvError("RAFTKV_AUTH_FAILED");
      const token = guard.tokens.newToken();
      try {
        await backend.propose("authenticate", {
          name: request.name,
          simpleToken: token,
          authRevision: revision,
        });
        return { header: context.header(), token: guard.tokens.issue(request.name, revision, token) };
      } catch (err) {
        if (!isKvError(err, "RAFTKV_AUTH_OLD_REVISION") || attempt >= AUTHENTICATE_ATTEMPTS) throw err;
      }
    }
  };

  return {
    AuthEnable: change("AuthEnable", "authEnable"),
    AuthDisable: change("AuthDisable", "authDisable"),
    AuthStatus: read("AuthStatus", (_request: object, call) => {
      guard.checkAdmin(call);
      return { header: context.header(), enabled: table.enabled, authRevision: table.revision };
    }),
    Authenticate: unary(context, SERVICE, "Authenticate", authenticate),
    UserAdd: change("UserAdd", "authUserAdd", async (request: AuthUserAddRequest) => {
      if (request.name.length === 0) throw new KvError("RAFTKV_AUTH_USER_EMPTY");
      const noPassword = request.options?.noPassword === true;
      return {
        name: request.name,
        password: "",
        options: request.options ?? null,
        hashedPassword: noPassword ? "" : await passwordHash(request.password, request.hashedPassword),
      };
    }),
    UserGet: read("UserGet", (request: AuthNameRequest, call) => {
      const caller = guard.caller(call);
      if (!(table.enabled && caller === request.name)) guard.checkAdmin(call);
      const user = table.user(request.name);
      if (user === undefined) throw new KvError("RAFTKV_AUTH_USER_NOT_FOUND");
      return { header: context.header(), roles: [...user.roles] };
    }),
    UserList: read("UserList", (_request: object, call) => {
      guard.checkAdmin(call);
      return { header: context.header(), users: table.userNames() };
    }),
    UserDelete: change("UserDelete", "authUserDelete"),
    UserChangePassword: change(
      "UserChangePassword",
      "authUserChangePassword",
      async (request: AuthUserChangePasswordRequest) => ({
        name: request.name,
        password: "",
        hashedPassword: await passwordHash(request.password, request.hashedPassword),
      }),
    ),
    UserGrantRole: change<AuthUserGrantRoleRequest>("UserGrantRole", "authUserGrantRole"),
    UserRevokeRole: change<AuthUserRevokeRoleRequest>("UserRevokeRole", "authUserRevokeRole"),
    RoleAdd: change("RoleAdd", "authRoleAdd", (request: AuthNameRequest) => {
      if (request.name.length === 0) throw new KvError("RAFTKV_AUTH_ROLE_EMPTY");
      return request;
    }),
    RoleGet: read("RoleGet", (request: AuthRoleRequest, call) => {
      const caller = guard.caller(call);
      const holds = table.enabled && caller !== null && table.user(caller)?.roles.includes(request.role);
      if (!holds) guard.checkAdmin(call);
      const role = table.role(request.role);
      if (role === undefined) throw new KvError("RAFTKV_AUTH_ROLE_NOT_FOUND");
      const perm = request.role === ROOT_ROLE ? [ROOT_PERMISSION] : role.permissions;
      return { header: context.header(), perm: perm.map((p) => ({ ...p })) };
    }),
    RoleList: read("RoleList", (_request: object, call) => {
      guard.checkAdmin(call);
      return { header: context.header(), roles: table.roleNames() };
    }),
    RoleDelete: change<AuthRoleRequest>("RoleDelete", "authRoleDelete"),
    RoleGrantPermission: change<AuthRoleGrantPermissionRequest>(
      "RoleGrantPermission",
      "authRoleGrantPermission",
    ),
    RoleRevokePermission: change<AuthRoleRevokePermissionRequest>(
      "RoleRevokePermission",
      "authRoleRevokePermission",
    ),
  };
}

/**
 * The hash to store: of the password in the clear. A client-supplied hashedPassword (etcd 3.5
 * clients may send a bcrypt hash) is refused: raftkv stores scrypt hashes only (docs/auth.md).
 */
async function passwordHash(password: string, hashedPassword: string): Promise<string> {
  if (hashedPassword !== "") {
    throw new KvError("RAFTKV_UNSUPPORTED", {
      detail: "raftkv: hashedPassword is not supported; send the password (it is hashed with scrypt)",
    });
  }
  return hashPassword(password);
}
