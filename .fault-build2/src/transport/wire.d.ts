export declare const WIRE_VARINT = 0;
export declare const WIRE_I64 = 1;
export declare const WIRE_LEN = 2;
export declare const WIRE_I32 = 5;
/** Malformed or out-of-range wire data. The message names the field when it is known. */
export declare class WireError extends Error {
    constructor(message: string);
}
/** Bytes taken by `value` as a varint. `value` must be a safe non-negative integer. */
export declare function varintSize(value: number): number;
/** Throws a TypeError unless `value` can be sent as a uint64 field. */
export declare function checkUint(value: number, field: string): void;
export declare function writeVarint(buf: Uint8Array, pos: number, value: number): number;
export declare function writeBytes(buf: Uint8Array, pos: number, bytes: Uint8Array): number;
/** Size of a uint64 field (tag below 16: one byte) when not zero; proto3 omits zeros. */
export declare function uintFieldSize(value: number): number;
/** Size of a length-delimited field with a one-byte tag, framing included. */
export declare function lenFieldSize(length: number): number;
export declare function writeUintField(buf: Uint8Array, pos: number, field: number, value: number): number;
export declare function writeLenPrefix(buf: Uint8Array, pos: number, field: number, length: number): number;
/** A cursor over a slice of `buf`; each read is bounds-checked. */
export declare class Reader {
    readonly buf: Uint8Array;
    pos: number;
    /** Mutable so that nested messages can be read without allocating a Reader each. */
    end: number;
    constructor(buf: Uint8Array, pos?: number, end?: number);
    done(): boolean;
    /** A varint whose value must be a safe integer (below 2^53). */
    uint(): number;
    /** Reads a field tag: field number * 8 + wire type, as on the wire (field: `tag >>> 3`). */
    tag(): number;
    /** The bounds [start, end) of a length-delimited payload; advances past it. */
    lenBounds(): number;
    /** A copy of a length-delimited payload (copied so that it does not pin the receive buffer). */
    bytes(): Buffer;
    string(): string;
    /** Skips a field of an unknown number (forward compatibility). Groups are not allowed. */
    skip(wireType: number): void;
    private advance;
}
/** Checks that a field arrived with the wire type its declaration implies. */
export declare function expectWireType(tag: number, wireType: number, field: string): void;
