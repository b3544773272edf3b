import { LevelLogStore, type RawLevel } from "./level-log-store.js";
export interface DataDirIdentity {
    readonly name: string;
    readonly clusterId: number;
    readonly memberId: number;
}
export interface OpenDataDirOptions extends DataDirIdentity {
    /** Create the data dir when missing. When false, a missing data dir is RAFTKV_DATA_DIR_NOT_FOUND. */
    readonly create: boolean;
    /** LevelDB tuning (classic-level open options); defaults suit a Raft node. */
    readonly level?: {
        readonly writeBufferSize?: number;
        readonly cacheSize?: number;
    };
}
/** The KV state machine's keyspace: a sublevel "kv" of the same LevelDB (prefix "!kv!"), Buffer keys
 *  and values. Write its data and applied index in its own batches, or atomically with other
 *  keyspaces through `db.batch([{ type: "put", sublevel: kv, key, value }, ...])`. */
export type KvSublevel = ReturnType<typeof kvSublevel>;
export interface DataDir {
    readonly dir: string;
    /** The root LevelDB (Buffer keys and values). Raft keys start with 0x01/0x02; leave them alone. */
    readonly db: RawLevel;
    readonly kv: KvSublevel;
    readonly raftLog: LevelLogStore;
    readonly identity: DataDirIdentity & {
        readonly formatVersion: number;
    };
    /** True when this open created the data dir (wrote the identity). Bootstrap, though, when the Raft
     *  log is empty (no snapshot, last index 0): a crash may come between creation and bootstrap. */
    readonly created: boolean;
    readonly snapDir: string;
    close(): Promise<void>;
}
declare function kvSublevel(db: RawLevel): import("abstract-level").AbstractSublevel<RawLevel, string | Buffer<ArrayBufferLike> | Uint8Array<ArrayBufferLike>, Buffer<ArrayBufferLike>, Buffer<ArrayBufferLike>>;
export declare function dbPath(dir: string): string;
export type DataDirState = "absent" | "present" | "damaged";
/**
 * "present": `<dir>/db/CURRENT` exists. "absent": no data at all. "damaged": LevelDB tables or logs
 * (or a shutdown marker) but no CURRENT file — LevelDB would silently create an empty database over
 * it (and delete the tables as obsolete), so it is never opened with `create`.
 */
export declare function dataDirState(dir: string): Promise<DataDirState>;
/** Whether `dir` holds a node's data (possibly damaged): when false, the node bootstraps. */
export declare function dataDirExists(dir: string): Promise<boolean>;
export declare function openDataDir(dir: string, opts: OpenDataDirOptions): Promise<DataDir>;
export {};
