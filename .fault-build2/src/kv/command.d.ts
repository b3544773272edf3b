import type { CompactionRequest, DeleteRangeRequest, LeaseCheckpointRequest, LeaseGrantRequest, LeaseRevokeRequest, Member, PutRequest, TxnRequest } from "./types.js";
/** Identifies a proposal end to end; unique among the proposals in flight. */
export type RequestId = bigint;
export declare const COMMAND_FORMAT_VERSION = 1;
export declare const COMMAND_HEADER_BYTES = 10;
export interface CommandRequests {
    put: PutRequest;
    deleteRange: DeleteRangeRequest;
    txn: TxnRequest;
    compaction: CompactionRequest;
    leaseGrant: LeaseGrantRequest;
    leaseRevoke: LeaseRevokeRequest;
    leaseCheckpoint: LeaseCheckpointRequest;
    /**
     * A member publishes its name and client URLs after it starts (etcd's "publish"): applied into
     * the member metadata when that member exists; `peerURLs` and `isLearner` are ignored (they
     * change only through membership changes).
     */
    memberAttributes: Member;
}
export type CommandKind = keyof CommandRequests;
export type Command = {
    [K in CommandKind]: {
        id: RequestId;
        kind: K;
        request: CommandRequests[K];
    };
}[CommandKind];
/**
 * Wire codes of the kinds. Stable: they are in every Raft log. 1-15 KV writes, 16-31 leases,
 * 32-47 reserved for membership metadata (member attributes), 48+ free.
 */
export declare const KIND_CODES: Readonly<Record<CommandKind, number>>;
/**
 * Encodes a command: header + the request (a decoded-shaped object, as types.ts), in canonical
 * proto3 form (fields at their default value are not written), so the size is what etcd would
 * count.
 */
export declare function encodeCommand<K extends CommandKind>(id: RequestId, kind: K, request: CommandRequests[K]): Buffer;
/**
 * Encodes a command around an already-encoded request message, e.g. the bytes the request
 * arrived in from the client: no re-encoding. The bytes must be a valid message of the kind's
 * type (decoding on apply would otherwise fail on every node).
 */
export declare function encodeCommandFromBytes(id: RequestId, kind: CommandKind, requestBytes: Uint8Array): Buffer;
/** Reads only the header: the id and kind, without decoding the request. */
export declare function readCommandHeader(data: Uint8Array): {
    id: RequestId;
    kind: CommandKind;
};
/**
 * Decodes a command. Byte fields of the request are views into `data` (no copy): whoever keeps
 * them beyond the entry's life copies them. Throws a plain Error on bytes that are not a command
 * (a corrupt log: the node must stop, not skip).
 */
export declare function decodeCommand(data: Uint8Array): Command;
/** FNV-1a, 32 bits: the node id hash in request ids. */
export declare function nodeIdHash(nodeId: string | number): number;
/**
 * Hands out request ids for one node: high 32 bits the node id hash, low 32 bits a wrapping
 * sequence. Start the sequence at a random value on every boot (crypto.randomInt(2 ** 32)): an
 * entry a crashed incarnation proposed may still be applied after the restart, and must not match
 * a new call's id.
 */
export declare class RequestIdSource {
    #private;
    constructor(nodeId: string | number, firstSequence: number);
    next(): RequestId;
}
