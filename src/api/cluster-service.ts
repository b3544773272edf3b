// etcdserverpb.Cluster: MemberList. Membership changes are answered UNIMPLEMENTED until the node
// supports them.

import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Member } from "./backend.js";
import { type HandlerContext, unary } from "./call.js";
import { unimplemented } from "./errors.js";
import type { MemberListRequest, MemberListResponse, WireMember } from "./wire.js";

const SERVICE = "etcdserverpb.Cluster";

export function toWireMember(member: Member): WireMember {
  return {
    ID: member.id,
    name: member.name,
    peerURLs: member.peerURLs,
    clientURLs: member.clientURLs,
    isLearner: member.isLearner,
  };
}

export function clusterService(context: HandlerContext): UntypedServiceImplementation {
  const backend = context.backend;
  const list = (): MemberListResponse => ({
    header: context.header(),
    members: backend.members().map(toWireMember),
  });
  const notYet = (method: string) =>
    unary(context, SERVICE, method, () => {
      throw unimplemented(`Cluster.${method}`);
    });
  return {
    MemberList: unary(context, SERVICE, "MemberList", (request: MemberListRequest) =>
      // etcd 3.5 clients may ask for a linearizable list: serve it after a read barrier.
      request.linearizable ? backend.readBarrier().then(list) : list(),
    ),
    MemberAdd: notYet("MemberAdd"),
    MemberRemove: notYet("MemberRemove"),
    MemberUpdate: notYet("MemberUpdate"),
    MemberPromote: notYet("MemberPromote"),
  };
}
