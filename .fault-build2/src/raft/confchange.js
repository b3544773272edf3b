// Encoding of membership changes inside log entries, and cluster bootstrap.
//
// Layout: version (1) | type (1) | node id (8, big-endian) | context (rest).
import { assert, RaftError } from "./errors.js";
const VERSION = 1;
const TYPES = ["addVoter", "addLearner", "removeNode"];
export function encodeConfChange(cc) {
    const out = new Uint8Array(10 + cc.context.byteLength);
    const view = new DataView(out.buffer);
    out[0] = VERSION;
    out[1] = TYPES.indexOf(cc.type);
    view.setBigUint64(2, BigInt(cc.nodeId));
    out.set(cc.context, 10);
    return out;
}
export function decodeConfChange(data) {
    if (data.byteLength < 10 || data[0] !== VERSION) {
        throw new RaftError("RAFTKV_BAD_CONF_CHANGE", `malformed conf change (${data.byteLength} bytes)`);
    }
    const type = TYPES[data[1]];
    if (type === undefined)
        throw new RaftError("RAFTKV_BAD_CONF_CHANGE", `unknown conf change type ${data[1]}`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const nodeId = Number(view.getBigUint64(2));
    return { type, nodeId, context: data.subarray(10) };
}
/**
 * Write the initial configuration of a new cluster into an empty storage: one addVoter entry
 * per voter at term 1, committed. Every member bootstraps identically, so the entries agree;
 * a member added later receives them through the log like any other entry.
 */
export function bootstrap(storage, voters, contexts) {
    assert(storage.lastIndex() === 0, "bootstrap needs an empty storage");
    assert(voters.length > 0, "bootstrap needs at least one voter");
    const sorted = [...voters].sort((a, b) => a - b);
    const entries = sorted.map((nodeId, i) => ({
        term: 1,
        index: i + 1,
        type: "confChange",
        data: encodeConfChange({ type: "addVoter", nodeId, context: contexts?.get(nodeId) ?? new Uint8Array(0) }),
    }));
    storage.append(entries);
    storage.setHardState({ term: 1, vote: 0, commit: entries.length });
    return entries;
}
//# sourceMappingURL=confchange.js.map