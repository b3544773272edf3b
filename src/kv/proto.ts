// Where the .proto files live, and the protobufjs Root the state machine encodes commands with.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

const ETCD_RPC_PROTO = "etcdserverpb/rpc.proto";

/**
 * The directory holding proto/ (`includeDirs` for proto-loader). Found by walking up from this
 * module, so it works from src/ (vitest), from dist/src/ (the build) and from an installed
 * package (package.json "files" ships proto/).
 */
export const PROTO_DIR: string = findProtoDir(dirname(fileURLToPath(import.meta.url)));

/** The etcd API files, relative to PROTO_DIR. */
export const ETCD_PROTO_FILES = [ETCD_RPC_PROTO, "mvccpb/kv.proto", "authpb/auth.proto"] as const;

function findProtoDir(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, ETCD_RPC_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`raftkv: cannot find proto/${ETCD_RPC_PROTO} above ${start}`);
    dir = parent;
  }
}

let cachedRoot: protobuf.Root | undefined;

/**
 * The etcd API as a protobufjs Root, field names in camelCase as proto-loader makes them
 * (keepCase: false). Loaded once, lazily.
 */
export function etcdRoot(): protobuf.Root {
  if (cachedRoot === undefined) {
    const root = new protobuf.Root();
    // Resolve imports ("mvccpb/kv.proto") against PROTO_DIR, as proto-loader's includeDirs does.
    root.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(PROTO_DIR, target));
    root.loadSync([...ETCD_PROTO_FILES], { keepCase: false });
    root.resolveAll();
    cachedRoot = root;
  }
  return cachedRoot;
}
