// The member table: names and URLs of the members, keyed by member ID. The Raft core knows only
// IDs (its configuration); names and URLs travel in the context of membership-change entries and
// are stored in the data dir so they survive restarts and log compaction.
import { decodeConfChange } from "../raft/index.js";
/** What a membership-change entry carries for the application. */
export function encodeMemberContext(info) {
    return Buffer.from(JSON.stringify({ name: info.name, peerURLs: info.peerURLs, clientURLs: info.clientURLs }));
}
export function decodeMemberContext(data) {
    if (data.byteLength === 0)
        return null;
    try {
        const v = JSON.parse(Buffer.from(data).toString("utf8"));
        if (typeof v.name !== "string" || !Array.isArray(v.peerURLs))
            return null;
        return {
            name: v.name,
            peerURLs: v.peerURLs.filter((u) => typeof u === "string"),
            clientURLs: Array.isArray(v.clientURLs) ? v.clientURLs.filter((u) => typeof u === "string") : [],
        };
    }
    catch {
        return null;
    }
}
export class MemberTable {
    #members = new Map();
    /** Members removed from the cluster: their messages are refused for good. */
    removed = new Set();
    static fromEntries(entries) {
        const t = new MemberTable();
        for (const [id, info] of entries)
            t.#members.set(id, info);
        return t;
    }
    get(id) {
        return this.#members.get(id);
    }
    set(id, info) {
        this.#members.set(id, info);
    }
    entries() {
        return [...this.#members];
    }
    /** The members of the given configuration, in etcd's Member shape. */
    list(voters, learners) {
        const out = [];
        for (const [ids, isLearner] of [
            [voters, false],
            [learners, true],
        ]) {
            for (const id of ids) {
                const info = this.#members.get(id);
                out.push({
                    id,
                    name: info?.name ?? "",
                    peerURLs: [...(info?.peerURLs ?? [])],
                    clientURLs: [...(info?.clientURLs ?? [])],
                    isLearner,
                });
            }
        }
        return out.sort((a, b) => a.id - b.id);
    }
    /** Apply a committed membership change: update the table and the transport's peers. */
    applyConfChange(data, peers, selfId) {
        let cc;
        try {
            cc = decodeConfChange(data);
        }
        catch {
            return null;
        }
        if (cc.type === "removeNode") {
            this.#members.delete(cc.nodeId);
            this.removed.add(cc.nodeId);
            if (cc.nodeId !== selfId)
                peers.removePeer(cc.nodeId);
            return cc;
        }
        const info = decodeMemberContext(cc.context);
        if (info !== null)
            this.#members.set(cc.nodeId, info);
        const url = this.#members.get(cc.nodeId)?.peerURLs[0];
        if (url !== undefined && cc.nodeId !== selfId)
            peers.addPeer(cc.nodeId, url);
        return cc;
    }
}
//# sourceMappingURL=members.js.map