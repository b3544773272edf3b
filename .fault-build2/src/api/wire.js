// Wire shapes of the Cluster, Maintenance and health messages, as @grpc/proto-loader decodes them
// with PROTO_LOADER_OPTIONS (camelCase fields except where etcd's proto spells them otherwise,
// e.g. Member.ID, peerURLs; 64-bit integers as numbers; enums as strings). The KV messages are
// the domain types in src/kv/types.ts.
export {};
//# sourceMappingURL=wire.js.map