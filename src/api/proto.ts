// Loads the client API's .proto files (etcd v3 and grpc.health.v1) once, for the server and the
// client alike, from the proto/ directory src/kv/proto.ts locates.

import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { PROTO_DIR } from "../kv/proto.js";
import { PROTO_LOADER_OPTIONS } from "../kv/types.js";

const ETCD_RPC_PROTO = "etcdserverpb/rpc.proto";
const HEALTH_PROTO = "grpc/health/v1/health.proto";

/** A service definition whose listed methods are known to exist. */
export type Service<Methods extends string> = ServiceDefinition &
  Readonly<Record<Methods, MethodDefinition<unknown, unknown>>>;

export interface ApiServices {
  kv: Service<"Range" | "Put" | "DeleteRange" | "Txn" | "Compact">;
  watch: Service<"Watch">;
  lease: Service<"LeaseGrant" | "LeaseRevoke" | "LeaseKeepAlive" | "LeaseTimeToLive" | "LeaseLeases">;
  cluster: Service<"MemberAdd" | "MemberRemove" | "MemberUpdate" | "MemberList" | "MemberPromote">;
  maintenance: Service<"Alarm" | "Status" | "Defragment" | "Hash" | "HashKV" | "Snapshot" | "MoveLeader">;
  health: Service<"Check" | "Watch">;
  auth: Service<(typeof AUTH_METHODS)[number]>;
}

export const AUTH_METHODS = [
  "AuthEnable",
  "AuthDisable",
  "AuthStatus",
  "Authenticate",
  "UserAdd",
  "UserGet",
  "UserList",
  "UserDelete",
  "UserChangePassword",
  "UserGrantRole",
  "UserRevokeRole",
  "RoleAdd",
  "RoleGet",
  "RoleList",
  "RoleDelete",
  "RoleGrantPermission",
  "RoleRevokePermission",
] as const;

let cached: ApiServices | undefined;

function service<Methods extends string>(
  definition: PackageDefinition,
  name: string,
  methods: readonly Methods[],
): Service<Methods> {
  const found = definition[name];
  if (found === undefined || "format" in found) {
    throw new Error(`service ${name} missing from the client API protos`);
  }
  const service = found as ServiceDefinition;
  for (const method of methods) {
    if (service[method] === undefined)
      throw new Error(`method ${name}.${method} missing from the client API protos`);
  }
  return service as Service<Methods>;
}

/** The service definitions of the client API (loaded on first use, then shared). */
export function apiServices(): ApiServices {
  if (cached !== undefined) return cached;
  const definition = loadSync([ETCD_RPC_PROTO, HEALTH_PROTO], {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  cached = {
    kv: service(definition, "etcdserverpb.KV", ["Range", "Put", "DeleteRange", "Txn", "Compact"]),
    watch: service(definition, "etcdserverpb.Watch", ["Watch"]),
    lease: service(definition, "etcdserverpb.Lease", [
      "LeaseGrant",
      "LeaseRevoke",
      "LeaseKeepAlive",
      "LeaseTimeToLive",
      "LeaseLeases",
    ]),
    cluster: service(definition, "etcdserverpb.Cluster", [
      "MemberAdd",
      "MemberRemove",
      "MemberUpdate",
      "MemberList",
      "MemberPromote",
    ]),
    maintenance: service(definition, "etcdserverpb.Maintenance", [
      "Alarm",
      "Status",
      "Defragment",
      "Hash",
      "HashKV",
      "Snapshot",
      "MoveLeader",
    ]),
    health: service(definition, "grpc.health.v1.Health", ["Check", "Watch"]),
    auth: service(definition, "etcdserverpb.Auth", AUTH_METHODS),
  };
  return cached;
}
