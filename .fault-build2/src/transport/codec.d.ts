import type { Message, MessageType } from "../raft/types.js";
/** True for the core's message types that never leave the node. */
export declare function isLocalMessageType(type: MessageType): boolean;
/**
 * Encodes `m` as field `messages` (4) of a Batch: tag, length and body, ready to be
 * concatenated after a batch header. Throws a TypeError for a local message type or a field
 * that is not a safe non-negative integer.
 */
export declare function encodeBatchMessage(m: Message): Buffer;
/** The fields of a Batch before its messages: cluster_id, from, to. */
export declare function encodeBatchHeader(clusterId: number, from: number, to: number): Buffer;
/** A whole Batch (tests and tools; the transport concatenates pre-encoded messages instead). */
export declare function encodeBatch(clusterId: number, from: number, to: number, messages: readonly Message[]): Buffer;
export interface SnapshotHeader {
    readonly clusterId: number;
    readonly from: number;
    readonly to: number;
    /** The `snap` message; its snapshot data is empty on the wire. */
    readonly message: Message;
}
export interface SnapshotChunk {
    readonly header: SnapshotHeader | null;
    readonly data: Uint8Array;
    readonly last: boolean;
}
/** Encodes a SnapshotChunk. The header's message travels without its snapshot data. */
export declare function encodeSnapshotChunk(chunk: SnapshotChunk): Buffer;
export interface Batch {
    readonly clusterId: number;
    readonly from: number;
    readonly to: number;
    readonly messages: readonly Message[];
}
/**
 * Decodes a Batch. Throws a WireError for malformed bytes, out-of-range values, unknown enum
 * values, or a message whose cluster_id/from/to differ from the batch's.
 */
export declare function decodeBatch(buf: Uint8Array): Batch;
/** Decodes a SnapshotChunk. `data` is a view of `buf` (not copied: snapshot chunks are big). */
export declare function decodeSnapshotChunk(buf: Uint8Array): SnapshotChunk;
export interface ProbeRequest {
    readonly clusterId: number;
    readonly from: number;
    readonly to: number;
    readonly name: string;
}
export interface ProbeResponse {
    readonly clusterId: number;
    readonly memberId: number;
    readonly name: string;
}
export declare function encodeProbeRequest(p: ProbeRequest): Buffer;
export declare function decodeProbeRequest(buf: Uint8Array): ProbeRequest;
export declare function encodeProbeResponse(p: ProbeResponse): Buffer;
export declare function decodeProbeResponse(buf: Uint8Array): ProbeResponse;
