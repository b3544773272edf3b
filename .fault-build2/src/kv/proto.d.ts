import protobuf from "protobufjs";
/**
 * The directory holding proto/ (`includeDirs` for proto-loader). Found by walking up from this
 * module, so it works from src/ (vitest), from dist/src/ (the build) and from an installed
 * package (package.json "files" ships proto/).
 */
export declare const PROTO_DIR: string;
/** The etcd API files, relative to PROTO_DIR. */
export declare const ETCD_PROTO_FILES: readonly ["etcdserverpb/rpc.proto", "mvccpb/kv.proto"];
/**
 * The etcd API as a protobufjs Root, field names in camelCase as proto-loader makes them
 * (keepCase: false). Loaded once, lazily.
 */
export declare function etcdRoot(): protobuf.Root;
