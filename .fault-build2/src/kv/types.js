// Domain types of the replicated KV state machine.
//
// Their shape mirrors etcd's v3 messages (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto) as
// @grpc/proto-loader decodes them with the options in PROTO_LOADER_OPTIONS below, so a decoded
// request passes from the gRPC layer to the state machine without copying. Revisions, versions
// and lease IDs are JS numbers: they stay below 2^53. uint64 IDs (cluster_id, member_id,
// Member.ID) decode as numbers too, so raftkv chooses them below 2^53; an ID a client sends that
// is not Number.isSafeInteger has lost precision in decoding and must be rejected.
//
// Decoding notes (proto-loader and protobufjs toObject with these options): absent scalar and
// bytes fields decode to their defaults (0, false, "", empty Buffer, first enum name); absent
// message fields decode to null; of a oneof only the member that is set is present, and a
// property named after the oneof (camelCase) holds that member's name.
export const PROTO_LOADER_OPTIONS = {
    keepCase: false,
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
};
//# sourceMappingURL=types.js.map