// Protocol Buffers primitives: varints, tags, length-delimited fields. Writers fill a buffer
// sized in advance (sizes are computed first, then bytes written once); the Reader checks
// every read against the end of its slice and every integer against the safe-integer range.
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;
/** Malformed or out-of-range wire data. The message names the field when it is known. */
export class WireError extends Error {
    constructor(message) {
        super(message);
        this.name = "WireError";
    }
}
/** Bytes taken by `value` as a varint. `value` must be a safe non-negative integer. */
export function varintSize(value) {
    if (value < 0x80)
        return 1;
    if (value < 0x4000)
        return 2;
    if (value < 0x200000)
        return 3;
    if (value < 0x10000000)
        return 4;
    if (value < 0x800000000)
        return 5;
    if (value < 0x40000000000)
        return 6;
    if (value < 0x2000000000000)
        return 7;
    return 8; // below 2^56, and safe integers are below 2^53
}
/** Throws a TypeError unless `value` can be sent as a uint64 field. */
export function checkUint(value, field) {
    if (!Number.isSafeInteger(value) || value < 0) {
        throw new TypeError(`raftkv: ${field} must be a safe non-negative integer, got ${value}`);
    }
}
export function writeVarint(buf, pos, value) {
    let v = value;
    while (v >= 0x80000000) {
        buf[pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
    }
    while (v >= 0x80) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
}
export function writeBytes(buf, pos, bytes) {
    buf.set(bytes, pos);
    return pos + bytes.length;
}
/** Size of a uint64 field (tag below 16: one byte) when not zero; proto3 omits zeros. */
export function uintFieldSize(value) {
    return value === 0 ? 0 : 1 + varintSize(value);
}
/** Size of a length-delimited field with a one-byte tag, framing included. */
export function lenFieldSize(length) {
    return 1 + varintSize(length) + length;
}
export function writeUintField(buf, pos, field, value) {
    if (value === 0)
        return pos;
    buf[pos++] = (field << 3) | WIRE_VARINT;
    return writeVarint(buf, pos, value);
}
export function writeLenPrefix(buf, pos, field, length) {
    buf[pos++] = (field << 3) | WIRE_LEN;
    return writeVarint(buf, pos, length);
}
/** A cursor over a slice of `buf`; each read is bounds-checked. */
export class Reader {
    buf;
    pos;
    /** Mutable so that nested messages can be read without allocating a Reader each. */
    end;
    constructor(buf, pos = 0, end = buf.length) {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
    }
    done() {
        return this.pos >= this.end;
    }
    /** A varint whose value must be a safe integer (below 2^53). */
    uint() {
        const buf = this.buf;
        if (this.pos >= this.end)
            throw new WireError("truncated varint");
        let byte = buf[this.pos++];
        if (byte < 0x80)
            return byte;
        let result = byte & 0x7f;
        let multiplier = 0x80;
        for (let i = 1; i < 10; i++) {
            if (this.pos >= this.end)
                throw new WireError("truncated varint");
            byte = buf[this.pos++];
            result += (byte & 0x7f) * multiplier;
            if (byte < 0x80) {
                if (result > Number.MAX_SAFE_INTEGER)
                    throw new WireError("integer out of range (at least 2^53)");
                return result;
            }
            multiplier *= 0x80;
        }
        throw new WireError("varint longer than 10 bytes");
    }
    /** Reads a field tag: field number * 8 + wire type, as on the wire (field: `tag >>> 3`). */
    tag() {
        const tag = this.uint();
        if (tag < 8)
            throw new WireError("field number 0");
        if (tag > 0xffffffff)
            throw new WireError("field number above 2^29 - 1");
        return tag;
    }
    /** The bounds [start, end) of a length-delimited payload; advances past it. */
    lenBounds() {
        const length = this.uint();
        const start = this.pos;
        if (length > this.end - start)
            throw new WireError("length-delimited field overruns its message");
        this.pos = start + length;
        return start;
    }
    /** A copy of a length-delimited payload (copied so that it does not pin the receive buffer). */
    bytes() {
        const start = this.lenBounds();
        return Buffer.from(this.buf.subarray(start, this.pos));
    }
    string() {
        const start = this.lenBounds();
        return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, this.pos - start).toString("utf8");
    }
    /** Skips a field of an unknown number (forward compatibility). Groups are not allowed. */
    skip(wireType) {
        switch (wireType) {
            case WIRE_VARINT:
                for (let i = 0;; i++) {
                    if (this.pos >= this.end)
                        throw new WireError("truncated varint");
                    if (i >= 10)
                        throw new WireError("varint longer than 10 bytes");
                    if (this.buf[this.pos++] < 0x80)
                        return;
                }
            case WIRE_I64:
                this.advance(8);
                return;
            case WIRE_LEN:
                this.lenBounds();
                return;
            case WIRE_I32:
                this.advance(4);
                return;
            default:
                throw new WireError(`unsupported wire type ${wireType}`);
        }
    }
    advance(n) {
        if (n > this.end - this.pos)
            throw new WireError("truncated fixed-size field");
        this.pos += n;
    }
}
/** Checks that a field arrived with the wire type its declaration implies. */
export function expectWireType(tag, wireType, field) {
    if ((tag & 7) !== wireType) {
        throw new WireError(`field ${field} has wire type ${tag & 7}, expected ${wireType}`);
    }
}
//# sourceMappingURL=wire.js.map