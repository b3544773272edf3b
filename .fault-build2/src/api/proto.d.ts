import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
/** A service definition whose listed methods are known to exist. */
export type Service<Methods extends string> = ServiceDefinition & Readonly<Record<Methods, MethodDefinition<unknown, unknown>>>;
export interface ApiServices {
    kv: Service<"Range" | "Put" | "DeleteRange" | "Txn" | "Compact">;
    watch: Service<"Watch">;
    lease: Service<"LeaseGrant" | "LeaseRevoke" | "LeaseKeepAlive" | "LeaseTimeToLive" | "LeaseLeases">;
    cluster: Service<"MemberAdd" | "MemberRemove" | "MemberUpdate" | "MemberList" | "MemberPromote">;
    maintenance: Service<"Alarm" | "Status" | "Defragment" | "Hash" | "HashKV" | "Snapshot" | "MoveLeader">;
    health: Service<"Check" | "Watch">;
}
/** The service definitions of the client API (loaded on first use, then shared). */
export declare function apiServices(): ApiServices;
