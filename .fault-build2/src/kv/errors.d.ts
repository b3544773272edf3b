/** gRPC status codes used below (grpc/codes). */
export declare const GrpcStatus: {
    readonly INVALID_ARGUMENT: 3;
    readonly NOT_FOUND: 5;
    readonly FAILED_PRECONDITION: 9;
    readonly RESOURCE_EXHAUSTED: 8;
    readonly OUT_OF_RANGE: 11;
    readonly UNIMPLEMENTED: 12;
    readonly DATA_LOSS: 15;
};
declare const CATALOGUE: {
    readonly RAFTKV_KEY_NOT_PROVIDED: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: key is not provided";
    };
    readonly RAFTKV_KEY_NOT_FOUND: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: key not found";
    };
    readonly RAFTKV_VALUE_PROVIDED: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: value is provided";
    };
    readonly RAFTKV_LEASE_PROVIDED: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: lease is provided";
    };
    readonly RAFTKV_TOO_MANY_TXN_OPS: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: too many operations in txn request";
    };
    readonly RAFTKV_DUPLICATE_KEY: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: duplicate key given in txn request";
    };
    readonly RAFTKV_REQUEST_TOO_LARGE: {
        readonly grpcCode: 3;
        readonly message: "etcdserver: request is too large";
    };
    readonly RAFTKV_COMPACTED: {
        readonly grpcCode: 11;
        readonly message: "etcdserver: mvcc: required revision has been compacted";
    };
    readonly RAFTKV_FUTURE_REVISION: {
        readonly grpcCode: 11;
        readonly message: "etcdserver: mvcc: required revision is a future revision";
    };
    readonly RAFTKV_NO_SPACE: {
        readonly grpcCode: 8;
        readonly message: "etcdserver: mvcc: database space exceeded";
    };
    readonly RAFTKV_LEASE_NOT_FOUND: {
        readonly grpcCode: 5;
        readonly message: "etcdserver: requested lease not found";
    };
    readonly RAFTKV_LEASE_EXISTS: {
        readonly grpcCode: 9;
        readonly message: "etcdserver: lease already exists";
    };
    readonly RAFTKV_LEASE_TTL_TOO_LARGE: {
        readonly grpcCode: 11;
        readonly message: "etcdserver: too large lease TTL";
    };
    /** raftkv's own: a feature etcd has that raftkv does not serve yet. */
    readonly RAFTKV_UNSUPPORTED: {
        readonly grpcCode: 12;
        readonly message: "raftkv: not supported";
    };
};
export type KvErrorCode = keyof typeof CATALOGUE;
export declare class KvError extends Error {
    readonly name = "KvError";
    readonly code: KvErrorCode;
    /** gRPC status code number to answer with. */
    readonly grpcCode: number;
    /** `detail` replaces the catalogue message; only for codes etcd has no fixed text for. */
    constructor(code: KvErrorCode, options?: {
        cause?: unknown;
        detail?: string;
    });
}
export declare function isKvError(err: unknown, code?: KvErrorCode): err is KvError;
/** The etcd message and gRPC status of a code, for tables and tests. */
export declare function kvErrorInfo(code: KvErrorCode): {
    grpcCode: number;
    message: string;
};
export {};
