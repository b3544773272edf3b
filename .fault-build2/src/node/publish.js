// Publishing a member's attributes (etcd's "publish"): once a leader is known, a node proposes its
// name and advertised client URLs through Raft, so every member's table — and MemberList on any
// node — shows them. Retried until the replicated member record matches; a restart with the same
// attributes proposes nothing.
import { KIND_CODES, readCommandHeader } from "../kv/index.js";
/** Whether the committed entry data is a memberAttributes command (header only; cheap). */
export function isMemberAttributesEntry(data) {
    if (data.length < 2 || data[1] !== KIND_CODES.memberAttributes)
        return false;
    try {
        return readCommandHeader(data).kind === "memberAttributes";
    }
    catch {
        return false;
    }
}
/** The attributes this member publishes and whether the stored record already says so. */
export function attributesPublished(stored, wanted) {
    return (stored !== undefined &&
        stored.name === wanted.name &&
        stored.clientURLs.length === wanted.clientURLs.length &&
        stored.clientURLs.every((u, i) => u === wanted.clientURLs[i]));
}
export class AttributePublisher {
    #target;
    #attributes;
    #log;
    #inFlight = false;
    #done = false;
    constructor(target, name, clientURLs, log) {
        this.#target = target;
        this.#attributes = {
            ID: target.memberId,
            name,
            peerURLs: [],
            clientURLs: [...clientURLs],
            isLearner: false,
        };
        this.#log = log;
    }
    get published() {
        return this.#done;
    }
    /** Call on every tick and leader change: proposes when needed, at most one at a time. */
    poke() {
        if (this.#done || this.#inFlight)
            return;
        if (attributesPublished(this.#target.kv.member(this.#target.memberId), this.#attributes)) {
            this.#done = true;
            return;
        }
        if (!this.#target.hasLeader())
            return;
        this.#inFlight = true;
        this.#target.proposeMemberAttributes(this.#attributes).then(() => {
            this.#inFlight = false;
            this.#done = true;
            this.#log.info({ name: this.#attributes.name, clientURLs: this.#attributes.clientURLs }, "published member attributes");
        }, (err) => {
            // No leader, timed out, stopping: the next tick tries again.
            this.#inFlight = false;
            this.#log.debug({ err }, "publishing member attributes failed; will retry");
        });
    }
}
//# sourceMappingURL=publish.js.map