// Encoder and decoder of proto/raftkv/raft/v1/raft.proto, written by hand for the hot path:
// a Message is encoded exactly once, straight from the core's domain object into the bytes of
// its Batch field, and decoded straight into a domain object — no intermediate objects, no
// Long, no toObject(). test/transport/codec.test.ts checks both directions against the .proto
// loaded by @grpc/proto-loader.
//
// Decoding validates structure, not Raft semantics: every integer is a safe integer, enums hold
// known values, the types a field may carry match, a `snap` message has a snapshot. The core
// judges terms and indexes.
import { checkUint, expectWireType, lenFieldSize, Reader, uintFieldSize, varintSize, WIRE_LEN, WIRE_VARINT, WireError, writeBytes, writeLenPrefix, writeUintField, writeVarint, } from "./wire.js";
const EMPTY_BYTES = new Uint8Array(0);
const NO_ENTRIES = Object.freeze([]);
/** Wire values of MessageType; local-only types (hup, beat, snapStatus, unreachable) have none. */
const MESSAGE_TYPE_CODE = {
    hup: 0,
    beat: 0,
    snapStatus: 0,
    unreachable: 0,
    prop: 1,
    app: 2,
    appResp: 3,
    vote: 4,
    voteResp: 5,
    preVote: 6,
    preVoteResp: 7,
    heartbeat: 8,
    heartbeatResp: 9,
    snap: 10,
    timeoutNow: 11,
    readIndex: 12,
    readIndexResp: 13,
    transferLeader: 14,
};
const MESSAGE_TYPE_BY_CODE = [
    undefined,
    "prop",
    "app",
    "appResp",
    "vote",
    "voteResp",
    "preVote",
    "preVoteResp",
    "heartbeat",
    "heartbeatResp",
    "snap",
    "timeoutNow",
    "readIndex",
    "readIndexResp",
    "transferLeader",
];
const ENTRY_TYPE_NORMAL = 1;
const ENTRY_TYPE_CONF_CHANGE = 2;
/** Field numbers (see raft.proto). */
const BATCH_MESSAGES = 4;
const HEADER_MESSAGE = 4;
/** True for the core's message types that never leave the node. */
export function isLocalMessageType(type) {
    return MESSAGE_TYPE_CODE[type] === 0;
}
// ---------------------------------------------------------------------------------- sizes
function entryBodySize(e) {
    checkUint(e.term, "entry.term");
    checkUint(e.index, "entry.index");
    return (uintFieldSize(e.term) + uintFieldSize(e.index) + 2 + (e.data.length > 0 ? lenFieldSize(e.data.length) : 0));
}
function packedIdsSize(ids) {
    let n = 0;
    for (const id of ids) {
        checkUint(id, "snapshot voter/learner");
        n += varintSize(id);
    }
    return n;
}
function snapshotMetadataBodySize(s) {
    const meta = s.meta;
    checkUint(meta.index, "snapshot.meta.index");
    checkUint(meta.term, "snapshot.meta.term");
    const voters = packedIdsSize(meta.confState.voters);
    const learners = packedIdsSize(meta.confState.learners);
    return (uintFieldSize(meta.index) +
        uintFieldSize(meta.term) +
        (voters > 0 ? lenFieldSize(voters) : 0) +
        (learners > 0 ? lenFieldSize(learners) : 0));
}
function snapshotBodySize(s, withData) {
    const dataLength = withData ? s.data.length : 0;
    return lenFieldSize(snapshotMetadataBodySize(s)) + (dataLength > 0 ? lenFieldSize(dataLength) : 0);
}
function messageBodySize(m, withSnapshotData) {
    const code = MESSAGE_TYPE_CODE[m.type];
    if (code === undefined || code === 0) {
        throw new TypeError(`raftkv: message type ${String(m.type)} is local and never sent`);
    }
    checkUint(m.clusterId, "clusterId");
    checkUint(m.from, "from");
    checkUint(m.to, "to");
    checkUint(m.term, "term");
    checkUint(m.logTerm, "logTerm");
    checkUint(m.index, "index");
    checkUint(m.commit, "commit");
    checkUint(m.rejectHint, "rejectHint");
    let n = 2 +
        uintFieldSize(m.clusterId) +
        uintFieldSize(m.from) +
        uintFieldSize(m.to) +
        uintFieldSize(m.term) +
        uintFieldSize(m.logTerm) +
        uintFieldSize(m.index) +
        uintFieldSize(m.commit) +
        (m.reject ? 2 : 0) +
        uintFieldSize(m.rejectHint) +
        (m.context.length > 0 ? lenFieldSize(m.context.length) : 0);
    for (const e of m.entries)
        n += lenFieldSize(entryBodySize(e));
    if (m.snapshot !== null)
        n += lenFieldSize(snapshotBodySize(m.snapshot, withSnapshotData));
    return n;
}
// ---------------------------------------------------------------------------------- writers
function writeEntry(buf, pos, e) {
    let p = writeLenPrefix(buf, pos, 8, entryBodySize(e));
    p = writeUintField(buf, p, 1, e.term);
    p = writeUintField(buf, p, 2, e.index);
    buf[p++] = (3 << 3) | WIRE_VARINT;
    buf[p++] = e.type === "confChange" ? ENTRY_TYPE_CONF_CHANGE : ENTRY_TYPE_NORMAL;
    if (e.data.length > 0)
        p = writeBytes(buf, writeLenPrefix(buf, p, 4, e.data.length), e.data);
    return p;
}
function writePackedIds(buf, pos, field, ids) {
    if (ids.length === 0)
        return pos;
    let size = 0;
    for (const id of ids)
        size += varintSize(id);
    let p = writeLenPrefix(buf, pos, field, size);
    for (const id of ids)
        p = writeVarint(buf, p, id);
    return p;
}
function writeSnapshot(buf, pos, s, withData) {
    let p = writeLenPrefix(buf, pos, 10, snapshotBodySize(s, withData));
    p = writeLenPrefix(buf, p, 1, snapshotMetadataBodySize(s));
    p = writeUintField(buf, p, 1, s.meta.index);
    p = writeUintField(buf, p, 2, s.meta.term);
    p = writePackedIds(buf, p, 3, s.meta.confState.voters);
    p = writePackedIds(buf, p, 4, s.meta.confState.learners);
    if (withData && s.data.length > 0)
        p = writeBytes(buf, writeLenPrefix(buf, p, 2, s.data.length), s.data);
    return p;
}
function writeMessageBody(buf, pos, m, withSnapshotData) {
    let p = pos;
    buf[p++] = (1 << 3) | WIRE_VARINT;
    buf[p++] = MESSAGE_TYPE_CODE[m.type];
    p = writeUintField(buf, p, 2, m.clusterId);
    p = writeUintField(buf, p, 3, m.from);
    p = writeUintField(buf, p, 4, m.to);
    p = writeUintField(buf, p, 5, m.term);
    p = writeUintField(buf, p, 6, m.logTerm);
    p = writeUintField(buf, p, 7, m.index);
    for (const e of m.entries)
        p = writeEntry(buf, p, e);
    p = writeUintField(buf, p, 9, m.commit);
    if (m.snapshot !== null)
        p = writeSnapshot(buf, p, m.snapshot, withSnapshotData);
    if (m.reject) {
        buf[p++] = (11 << 3) | WIRE_VARINT;
        buf[p++] = 1;
    }
    p = writeUintField(buf, p, 12, m.rejectHint);
    if (m.context.length > 0)
        p = writeBytes(buf, writeLenPrefix(buf, p, 13, m.context.length), m.context);
    return p;
}
/**
 * Encodes `m` as field `messages` (4) of a Batch: tag, length and body, ready to be
 * concatenated after a batch header. Throws a TypeError for a local message type or a field
 * that is not a safe non-negative integer.
 */
export function encodeBatchMessage(m) {
    const body = messageBodySize(m, true);
    const buf = Buffer.allocUnsafe(1 + varintSize(body) + body);
    const p = writeMessageBody(buf, writeLenPrefix(buf, 0, BATCH_MESSAGES, body), m, true);
    if (p !== buf.length)
        throw new Error(`raftkv: message encoder wrote ${p} bytes, sized ${buf.length}`);
    return buf;
}
/** The fields of a Batch before its messages: cluster_id, from, to. */
export function encodeBatchHeader(clusterId, from, to) {
    checkUint(clusterId, "clusterId");
    checkUint(from, "from");
    checkUint(to, "to");
    const buf = Buffer.allocUnsafe(uintFieldSize(clusterId) + uintFieldSize(from) + uintFieldSize(to));
    writeUintField(buf, writeUintField(buf, writeUintField(buf, 0, 1, clusterId), 2, from), 3, to);
    return buf;
}
/** A whole Batch (tests and tools; the transport concatenates pre-encoded messages instead). */
export function encodeBatch(clusterId, from, to, messages) {
    return Buffer.concat([encodeBatchHeader(clusterId, from, to), ...messages.map(encodeBatchMessage)]);
}
/** Encodes a SnapshotChunk. The header's message travels without its snapshot data. */
export function encodeSnapshotChunk(chunk) {
    let headerBody = 0;
    let messageBody = 0;
    const h = chunk.header;
    if (h !== null) {
        checkUint(h.clusterId, "clusterId");
        checkUint(h.from, "from");
        checkUint(h.to, "to");
        messageBody = messageBodySize(h.message, false);
        headerBody =
            uintFieldSize(h.clusterId) + uintFieldSize(h.from) + uintFieldSize(h.to) + lenFieldSize(messageBody);
    }
    const size = (h !== null ? lenFieldSize(headerBody) : 0) +
        (chunk.data.length > 0 ? lenFieldSize(chunk.data.length) : 0) +
        (chunk.last ? 2 : 0);
    const buf = Buffer.allocUnsafe(size);
    let p = 0;
    if (h !== null) {
        p = writeLenPrefix(buf, p, 1, headerBody);
        p = writeUintField(buf, p, 1, h.clusterId);
        p = writeUintField(buf, p, 2, h.from);
        p = writeUintField(buf, p, 3, h.to);
        p = writeMessageBody(buf, writeLenPrefix(buf, p, HEADER_MESSAGE, messageBody), h.message, false);
    }
    if (chunk.data.length > 0)
        p = writeBytes(buf, writeLenPrefix(buf, p, 2, chunk.data.length), chunk.data);
    if (chunk.last) {
        buf[p++] = (3 << 3) | WIRE_VARINT;
        buf[p++] = 1;
    }
    if (p !== size)
        throw new Error(`raftkv: snapshot chunk encoder wrote ${p} bytes, sized ${size}`);
    return buf;
}
// ---------------------------------------------------------------------------------- readers
/** Runs `read` on the nested message at the reader's position, with the reader's end narrowed. */
function nested(r, read) {
    const start = r.lenBounds();
    const outerEnd = r.end;
    const after = r.pos;
    r.pos = start;
    r.end = after;
    try {
        return read(r);
    }
    finally {
        r.pos = after;
        r.end = outerEnd;
    }
}
function readBool(r, field) {
    const v = r.uint();
    if (v > 1)
        throw new WireError(`${field}: bool out of range (${v})`);
    return v === 1;
}
function readEntry(r) {
    let term = 0;
    let index = 0;
    let typeCode = 0;
    let data = EMPTY_BYTES;
    while (!r.done()) {
        const tag = r.tag();
        switch (tag >>> 3) {
            case 1:
                expectWireType(tag, WIRE_VARINT, "term");
                term = r.uint();
                break;
            case 2:
                expectWireType(tag, WIRE_VARINT, "index");
                index = r.uint();
                break;
            case 3:
                expectWireType(tag, WIRE_VARINT, "type");
                typeCode = r.uint();
                break;
            case 4:
                expectWireType(tag, WIRE_LEN, "data");
                data = r.bytes();
                break;
            default:
                r.skip(tag & 7);
        }
    }
    let type;
    if (typeCode === ENTRY_TYPE_NORMAL)
        type = "normal";
    else if (typeCode === ENTRY_TYPE_CONF_CHANGE)
        type = "confChange";
    else
        throw new WireError(`type: unknown entry type ${typeCode}`);
    return { term, index, type, data };
}
function readIds(r, tag, into, field) {
    const push = (id) => {
        if (id === 0)
            throw new WireError(`${field}: member ID 0`);
        into.push(id);
    };
    if ((tag & 7) === WIRE_VARINT) {
        push(r.uint());
        return;
    }
    expectWireType(tag, WIRE_LEN, field);
    nested(r, (inner) => {
        while (!inner.done())
            push(inner.uint());
    });
}
function readSnapshot(r) {
    let index = 0;
    let term = 0;
    const voters = [];
    const learners = [];
    let data = EMPTY_BYTES;
    let hasMeta = false;
    const readMeta = (m) => {
        while (!m.done()) {
            const tag = m.tag();
            switch (tag >>> 3) {
                case 1:
                    expectWireType(tag, WIRE_VARINT, "metadata.index");
                    index = m.uint();
                    break;
                case 2:
                    expectWireType(tag, WIRE_VARINT, "metadata.term");
                    term = m.uint();
                    break;
                case 3:
                    readIds(m, tag, voters, "metadata.voters");
                    break;
                case 4:
                    readIds(m, tag, learners, "metadata.learners");
                    break;
                default:
                    m.skip(tag & 7);
            }
        }
    };
    while (!r.done()) {
        const tag = r.tag();
        switch (tag >>> 3) {
            case 1:
                expectWireType(tag, WIRE_LEN, "metadata");
                nested(r, readMeta);
                hasMeta = true;
                break;
            case 2:
                expectWireType(tag, WIRE_LEN, "data");
                data = r.bytes();
                break;
            default:
                r.skip(tag & 7);
        }
    }
    if (!hasMeta)
        throw new WireError("snapshot without metadata");
    return {
        meta: { index, term, confState: { voters, learners } },
        data,
    };
}
function readMessage(r) {
    let typeCode = 0;
    let clusterId = 0;
    let from = 0;
    let to = 0;
    let term = 0;
    let logTerm = 0;
    let index = 0;
    let entries = null;
    let commit = 0;
    let snapshot = null;
    let reject = false;
    let rejectHint = 0;
    let context = EMPTY_BYTES;
    while (!r.done()) {
        const tag = r.tag();
        const field = tag >>> 3;
        if (field === 8) {
            expectWireType(tag, WIRE_LEN, "entries");
            const i = entries === null ? 0 : entries.length;
            entries ??= [];
            try {
                entries.push(nested(r, readEntry));
            }
            catch (err) {
                throw prefixError(err, `entries[${i}]`);
            }
            continue;
        }
        if (field === 10) {
            expectWireType(tag, WIRE_LEN, "snapshot");
            try {
                snapshot = nested(r, readSnapshot);
            }
            catch (err) {
                throw prefixError(err, "snapshot");
            }
            continue;
        }
        if (field === 13) {
            expectWireType(tag, WIRE_LEN, "context");
            context = r.bytes();
            continue;
        }
        if (field > 13) {
            r.skip(tag & 7);
            continue;
        }
        const name = MESSAGE_FIELD_NAMES[field] ?? String(field);
        expectWireType(tag, WIRE_VARINT, name);
        let v;
        try {
            v = r.uint();
        }
        catch (err) {
            throw prefixError(err, name);
        }
        switch (field) {
            case 1:
                typeCode = v;
                break;
            case 2:
                clusterId = v;
                break;
            case 3:
                from = v;
                break;
            case 4:
                to = v;
                break;
            case 5:
                term = v;
                break;
            case 6:
                logTerm = v;
                break;
            case 7:
                index = v;
                break;
            case 9:
                commit = v;
                break;
            case 11:
                if (v > 1)
                    throw new WireError(`reject: bool out of range (${v})`);
                reject = v === 1;
                break;
            case 12:
                rejectHint = v;
                break;
        }
    }
    const type = MESSAGE_TYPE_BY_CODE[typeCode];
    if (type === undefined)
        throw new WireError(`type: unknown message type ${typeCode}`);
    if (type === "snap" && snapshot === null)
        throw new WireError("snap message without a snapshot");
    if (type !== "snap" && snapshot !== null)
        throw new WireError(`${type} message carries a snapshot`);
    return {
        type,
        clusterId,
        from,
        to,
        term,
        logTerm,
        index,
        entries: entries ?? NO_ENTRIES,
        commit,
        snapshot,
        reject,
        rejectHint,
        context,
    };
}
const MESSAGE_FIELD_NAMES = [
    undefined,
    "type",
    "cluster_id",
    "from",
    "to",
    "term",
    "log_term",
    "index",
    "entries",
    "commit",
    "snapshot",
    "reject",
    "reject_hint",
    "context",
];
/** Puts the path of the enclosing field in front: "messages[2].entries[0].type: unknown …". */
function prefixError(err, path) {
    const inner = err instanceof WireError ? err.message : String(err);
    return new WireError(/^[a-z_]+(\[\d+\])?[.:]/.test(inner) ? `${path}.${inner}` : `${path}: ${inner}`);
}
/**
 * Decodes a Batch. Throws a WireError for malformed bytes, out-of-range values, unknown enum
 * values, or a message whose cluster_id/from/to differ from the batch's.
 */
export function decodeBatch(buf) {
    const r = new Reader(buf);
    let clusterId = 0;
    let from = 0;
    let to = 0;
    const messages = [];
    while (!r.done()) {
        const tag = r.tag();
        const field = tag >>> 3;
        if (field === BATCH_MESSAGES) {
            expectWireType(tag, WIRE_LEN, "messages");
            try {
                messages.push(nested(r, readMessage));
            }
            catch (err) {
                throw prefixError(err, `messages[${messages.length}]`);
            }
        }
        else if (field >= 1 && field <= 3) {
            expectWireType(tag, WIRE_VARINT, field === 1 ? "cluster_id" : field === 2 ? "from" : "to");
            const v = r.uint();
            if (field === 1)
                clusterId = v;
            else if (field === 2)
                from = v;
            else
                to = v;
        }
        else {
            r.skip(tag & 7);
        }
    }
    for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        if (m.clusterId !== clusterId || m.from !== from || m.to !== to) {
            throw new WireError(`messages[${i}]: cluster/from/to ${m.clusterId}/${m.from}/${m.to} differ from the batch's ${clusterId}/${from}/${to}`);
        }
    }
    return { clusterId, from, to, messages };
}
function readSnapshotHeader(r) {
    let clusterId = 0;
    let from = 0;
    let to = 0;
    let message = null;
    while (!r.done()) {
        const tag = r.tag();
        const field = tag >>> 3;
        if (field === HEADER_MESSAGE) {
            expectWireType(tag, WIRE_LEN, "message");
            try {
                message = nested(r, readMessage);
            }
            catch (err) {
                throw prefixError(err, "message");
            }
        }
        else if (field >= 1 && field <= 3) {
            expectWireType(tag, WIRE_VARINT, field === 1 ? "cluster_id" : field === 2 ? "from" : "to");
            const v = r.uint();
            if (field === 1)
                clusterId = v;
            else if (field === 2)
                from = v;
            else
                to = v;
        }
        else {
            r.skip(tag & 7);
        }
    }
    if (message === null)
        throw new WireError("header without a message");
    if (message.type !== "snap")
        throw new WireError(`message: type ${message.type}, expected snap`);
    if (message.clusterId !== clusterId || message.from !== from || message.to !== to) {
        throw new WireError("message: cluster/from/to differ from the header's");
    }
    return { clusterId, from, to, message };
}
/** Decodes a SnapshotChunk. `data` is a view of `buf` (not copied: snapshot chunks are big). */
export function decodeSnapshotChunk(buf) {
    const r = new Reader(buf);
    let header = null;
    let data = EMPTY_BYTES;
    let last = false;
    while (!r.done()) {
        const tag = r.tag();
        switch (tag >>> 3) {
            case 1:
                expectWireType(tag, WIRE_LEN, "header");
                try {
                    header = nested(r, readSnapshotHeader);
                }
                catch (err) {
                    throw prefixError(err, "header");
                }
                break;
            case 2: {
                expectWireType(tag, WIRE_LEN, "data");
                const start = r.lenBounds();
                data = buf.subarray(start, r.pos);
                break;
            }
            case 3:
                expectWireType(tag, WIRE_VARINT, "last");
                last = readBool(r, "last");
                break;
            default:
                r.skip(tag & 7);
        }
    }
    return { header, data, last };
}
function encodeIdsAndName(fields, name) {
    const nameBytes = Buffer.from(name, "utf8");
    let size = nameBytes.length > 0 ? lenFieldSize(nameBytes.length) : 0;
    for (const [i, v] of fields.entries()) {
        checkUint(v, `field ${i + 1}`);
        size += uintFieldSize(v);
    }
    const buf = Buffer.allocUnsafe(size);
    let p = 0;
    for (const [i, v] of fields.entries())
        p = writeUintField(buf, p, i + 1, v);
    if (nameBytes.length > 0)
        p = writeBytes(buf, writeLenPrefix(buf, p, fields.length + 1, nameBytes.length), nameBytes);
    return buf;
}
function decodeIdsAndName(buf, count) {
    const r = new Reader(buf);
    const ids = new Array(count).fill(0);
    let name = "";
    while (!r.done()) {
        const tag = r.tag();
        const field = tag >>> 3;
        if (field >= 1 && field <= count) {
            expectWireType(tag, WIRE_VARINT, `field ${field}`);
            ids[field - 1] = r.uint();
        }
        else if (field === count + 1) {
            expectWireType(tag, WIRE_LEN, "name");
            name = r.string();
        }
        else {
            r.skip(tag & 7);
        }
    }
    return { ids, name };
}
export function encodeProbeRequest(p) {
    return encodeIdsAndName([p.clusterId, p.from, p.to], p.name);
}
export function decodeProbeRequest(buf) {
    const { ids, name } = decodeIdsAndName(buf, 3);
    return { clusterId: ids[0], from: ids[1], to: ids[2], name };
}
export function encodeProbeResponse(p) {
    return encodeIdsAndName([p.clusterId, p.memberId], p.name);
}
export function decodeProbeResponse(buf) {
    const { ids, name } = decodeIdsAndName(buf, 2);
    return { clusterId: ids[0], memberId: ids[1], name };
}
//# sourceMappingURL=codec.js.map