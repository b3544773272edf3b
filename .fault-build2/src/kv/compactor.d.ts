export interface CompactorDatabase {
    iterator(options: {
        gt?: Buffer;
        gte?: Buffer;
        lt?: Buffer;
        limit?: number;
        keyEncoding?: "buffer";
        valueEncoding?: "buffer";
    }): {
        nextv(size: number): Promise<[Buffer, Buffer][]>;
        close(): Promise<void>;
    };
    batch(operations: CompactorOp[]): Promise<void>;
}
type CompactorOp = {
    type: "del";
    key: Buffer;
} | {
    type: "put";
    key: Buffer;
    value: Buffer;
};
export interface CompactorOptions {
    /** Revision already physically compacted (the stored "compactdone"). */
    done: number;
    /** "h" entries examined per batch. Default 1000. */
    batchEntries?: number;
    /** Called when a batch fails (the store is closing, or a disk error); the job stops. */
    onError?: (err: Error) => void;
}
export declare class Compactor {
    #private;
    constructor(db: CompactorDatabase, options: CompactorOptions);
    /** Revision up to which history is physically gone. */
    get done(): number;
    get running(): boolean;
    /** Compacts up to `revision` in the background (a later call with a higher revision supersedes). */
    schedule(revision: number): void;
    /** Resolves once history below `revision` is physically gone; rejects if the job fails. */
    whenDone(revision: number): Promise<void>;
    /** Stops after the batch in flight (for a snapshot import or close); resume() restarts. */
    pause(): Promise<void>;
    /** After pause(): continues from the given state (a snapshot import may have replaced it). */
    resume(done: number, target: number): void;
}
export {};
