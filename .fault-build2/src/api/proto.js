// Loads the client API's .proto files (etcd v3 and grpc.health.v1) once, for the server and the
// client alike, from the proto/ directory src/kv/proto.ts locates.
import { loadSync } from "@grpc/proto-loader";
import { PROTO_DIR } from "../kv/proto.js";
import { PROTO_LOADER_OPTIONS } from "../kv/types.js";
const ETCD_RPC_PROTO = "etcdserverpb/rpc.proto";
const HEALTH_PROTO = "grpc/health/v1/health.proto";
let cached;
function service(definition, name, methods) {
    const found = definition[name];
    if (found === undefined || "format" in found) {
        throw new Error(`service ${name} missing from the client API protos`);
    }
    const service = found;
    for (const method of methods) {
        if (service[method] === undefined)
            throw new Error(`method ${name}.${method} missing from the client API protos`);
    }
    return service;
}
/** The service definitions of the client API (loaded on first use, then shared). */
export function apiServices() {
    if (cached !== undefined)
        return cached;
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
    };
    return cached;
}
//# sourceMappingURL=proto.js.map