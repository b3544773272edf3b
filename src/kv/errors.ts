// The error catalogue of the KV state machine.
//
// Every expected failure of a KV request is a KvError with a stable uppercase `code`, the message
// etcd sends for the same failure (clients such as etcdctl and clientv3 match on the message
// text), and the gRPC status code etcd answers with (api/v3rpc/rpctypes/error.go). The API layer
// maps a KvError to a gRPC status with `grpcCode` and `message` and nothing else.
//
// A broken invariant or a corrupt store is not a KvError: it is a plain Error (a bug, or a disk
// that lies) and stops the node.

/** gRPC status codes used below (grpc/codes). */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  RESOURCE_EXHAUSTED: 8,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  PERMISSION_DENIED: 7,
  DATA_LOSS: 15,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const CATALOGUE = {
  RAFTKV_KEY_NOT_PROVIDED: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: key is not provided",
  },
  RAFTKV_KEY_NOT_FOUND: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: "etcdserver: key not found" },
  RAFTKV_VALUE_PROVIDED: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: "etcdserver: value is provided" },
  RAFTKV_LEASE_PROVIDED: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: "etcdserver: lease is provided" },
  RAFTKV_TOO_MANY_TXN_OPS: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: too many operations in txn request",
  },
  RAFTKV_DUPLICATE_KEY: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: duplicate key given in txn request",
  },
  RAFTKV_REQUEST_TOO_LARGE: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: request is too large",
  },
  RAFTKV_COMPACTED: {
    grpcCode: GrpcStatus.OUT_OF_RANGE,
    message: "etcdserver: mvcc: required revision has been compacted",
  },
  RAFTKV_FUTURE_REVISION: {
    grpcCode: GrpcStatus.OUT_OF_RANGE,
    message: "etcdserver: mvcc: required revision is a future revision",
  },
  RAFTKV_NO_SPACE: {
    grpcCode: GrpcStatus.RESOURCE_EXHAUSTED,
    message: "etcdserver: mvcc: database space exceeded",
  },
  RAFTKV_LEASE_NOT_FOUND: {
    grpcCode: GrpcStatus.NOT_FOUND,
    message: "etcdserver: requested lease not found",
  },
  RAFTKV_LEASE_EXISTS: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: lease already exists",
  },
  RAFTKV_LEASE_TTL_TOO_LARGE: {
    grpcCode: GrpcStatus.OUT_OF_RANGE,
    message: "etcdserver: too large lease TTL",
  },
  // Authentication and authorization (etcd's auth store; src/kv/auth.ts, src/api/auth-*.ts).
  RAFTKV_AUTH_ROOT_USER_NOT_EXIST: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: root user does not exist",
  },
  RAFTKV_AUTH_ROOT_ROLE_NOT_EXIST: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: root user does not have root role",
  },
  RAFTKV_AUTH_USER_EXISTS: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: user name already exists",
  },
  RAFTKV_AUTH_USER_EMPTY: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: user name is empty",
  },
  RAFTKV_AUTH_USER_NOT_FOUND: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: user name not found",
  },
  RAFTKV_AUTH_ROLE_EXISTS: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: role name already exists",
  },
  RAFTKV_AUTH_ROLE_NOT_FOUND: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: role name not found",
  },
  RAFTKV_AUTH_ROLE_EMPTY: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: role name is empty",
  },
  RAFTKV_AUTH_FAILED: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: authentication failed, invalid user ID or password",
  },
  RAFTKV_PERMISSION_DENIED: {
    grpcCode: GrpcStatus.PERMISSION_DENIED,
    message: "etcdserver: permission denied",
  },
  RAFTKV_AUTH_ROLE_NOT_GRANTED: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: role is not granted to the user",
  },
  RAFTKV_AUTH_PERMISSION_NOT_GRANTED: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: permission is not granted to the role",
  },
  RAFTKV_AUTH_PERMISSION_NOT_GIVEN: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: permission not given",
  },
  RAFTKV_AUTH_NOT_ENABLED: {
    grpcCode: GrpcStatus.FAILED_PRECONDITION,
    message: "etcdserver: authentication is not enabled",
  },
  RAFTKV_AUTH_INVALID_TOKEN: {
    grpcCode: GrpcStatus.UNAUTHENTICATED,
    message: "etcdserver: invalid auth token",
  },
  RAFTKV_AUTH_INVALID_MGMT: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: invalid auth management",
  },
  RAFTKV_AUTH_OLD_REVISION: {
    grpcCode: GrpcStatus.INVALID_ARGUMENT,
    message: "etcdserver: revision of auth store is old",
  },
  /** raftkv's own: a feature etcd has that raftkv does not serve yet. */
  RAFTKV_UNSUPPORTED: { grpcCode: GrpcStatus.UNIMPLEMENTED, message: "raftkv: not supported" },
  /**
   * raftkv's own: the store is replacing its data with a snapshot from the leader (or holds one
   * cut short by a restart, until the leader sends it again). Transient, and UNAVAILABLE so that
   * etcd clients retry on another member, as they do when a member is stopping.
   */
  RAFTKV_INSTALLING_SNAPSHOT: {
    grpcCode: GrpcStatus.UNAVAILABLE,
    message: "raftkv: this member is installing a snapshot from the leader; ask another member",
  },
} as const satisfies Record<string, { grpcCode: number; message: string }>;

export type KvErrorCode = keyof typeof CATALOGUE;

export class KvError extends Error {
  override readonly name = "KvError";
  readonly code: KvErrorCode;
  /** gRPC status code number to answer with. */
  readonly grpcCode: number;

  /** `detail` replaces the catalogue message; only for codes etcd has no fixed text for. */
  constructor(code: KvErrorCode, options?: { cause?: unknown; detail?: string }) {
    const entry = CATALOGUE[code];
    super(
      options?.detail ?? entry.message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.grpcCode = entry.grpcCode;
  }
}

export function isKvError(err: unknown, code?: KvErrorCode): err is KvError {
  return err instanceof KvError && (code === undefined || err.code === code);
}

/** The etcd message and gRPC status of a code, for tables and tests. */
export function kvErrorInfo(code: KvErrorCode): { grpcCode: number; message: string } {
  return CATALOGUE[code];
}
