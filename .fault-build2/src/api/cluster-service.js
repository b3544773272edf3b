// etcdserverpb.Cluster: MemberList, and the membership changes MemberAdd (as a learner or a
// voter), MemberRemove and MemberPromote, served by the leader (a follower answers etcd's
// "not leader"; raftkv's client and `raftkv members` find the leader). MemberUpdate (changing a
// member's peer URLs) is not served: a StatefulSet pod keeps its DNS name, so its URL never changes.
import { unary } from "./call.js";
import { NodeError, unimplemented } from "./errors.js";
const SERVICE = "etcdserverpb.Cluster";
export function toWireMember(member) {
    return {
        ID: member.id,
        name: member.name,
        peerURLs: member.peerURLs,
        clientURLs: member.clientURLs,
        isLearner: member.isLearner,
    };
}
/** A member ID from the wire: uint64 decoded as a number, so anything above 2^53 lost precision. */
function memberIdOf(request) {
    const id = Number(request.ID);
    if (!Number.isSafeInteger(id) || id <= 0)
        throw new NodeError("RAFTKV_MEMBER_NOT_FOUND");
    return id;
}
export function clusterService(context) {
    const backend = context.backend;
    const list = () => ({
        header: context.header(),
        members: backend.members().map(toWireMember),
    });
    const notYet = (method) => unary(context, SERVICE, method, () => {
        throw unimplemented(`Cluster.${method}`);
    });
    const members = (change) => change.then((all) => ({ header: context.header(), members: all.map(toWireMember) }));
    return {
        MemberList: unary(context, SERVICE, "MemberList", (request) => 
        // etcd 3.5 clients may ask for a linearizable list: serve it after a read barrier.
        request.linearizable ? backend.readBarrier().then(list) : list()),
        MemberAdd: backend.memberAdd === undefined
            ? notYet("MemberAdd")
            : unary(context, SERVICE, "MemberAdd", async (request) => {
                const name = request.name === "" ? undefined : request.name;
                const added = await backend.memberAdd({
                    peerURLs: [...request.peerURLs],
                    isLearner: request.isLearner,
                    ...(name === undefined ? {} : { name }),
                });
                return {
                    header: context.header(),
                    member: toWireMember(added.member),
                    members: added.members.map(toWireMember),
                };
            }),
        MemberRemove: backend.memberRemove === undefined
            ? notYet("MemberRemove")
            : unary(context, SERVICE, "MemberRemove", (request) => members(backend.memberRemove(memberIdOf(request)))),
        MemberUpdate: notYet("MemberUpdate"),
        MemberPromote: backend.memberPromote === undefined
            ? notYet("MemberPromote")
            : unary(context, SERVICE, "MemberPromote", (request) => members(backend.memberPromote(memberIdOf(request)))),
    };
}
//# sourceMappingURL=cluster-service.js.map