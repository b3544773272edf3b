import type { Member } from "../api/backend.js";
import { type Raft } from "../raft/index.js";
import { type MemberTable } from "./members.js";
/** etcd's readyPercent: a learner whose match index is this fraction of the leader's is in sync. */
export declare const LEARNER_READY_FRACTION = 0.9;
/** etcd's --max-learners default: one learner at a time. */
export declare const LEARNERS_MAX = 1;
export interface MemberAddInput {
    readonly peerURLs: readonly string[];
    readonly isLearner: boolean;
    /** A raftkv extension: the new member's name, when the caller knows it. */
    readonly name?: string;
    readonly clientURLs?: readonly string[];
}
export interface MemberAddResult {
    readonly member: Member;
    readonly members: Member[];
}
/** What membership changes need from the node. */
export interface MembershipHost {
    readonly raft: Raft;
    readonly memberTable: MemberTable;
    /** Milliseconds a call may take before it fails with "request timed out". */
    readonly requestTimeoutMs: number;
    /** Run the node loop now (a proposal is waiting). */
    kick(): void;
    /** Resolves true once `cond` holds, false at the deadline (polled; never a fixed sleep). */
    waitFor(cond: () => boolean, deadline: number): Promise<boolean>;
    listMembers(): Member[];
}
/** "http://host:port" for a peer URL given as host:port or http(s)://host:port; null if invalid. */
export declare function normalizePeerURL(url: string): string | null;
/** Whether a learner with `learnerMatch` is in sync with a leader at `leaderMatch` (etcd's rule). */
export declare function learnerInSync(learnerMatch: number, leaderMatch: number): boolean;
export declare class Membership {
    #private;
    constructor(host: MembershipHost);
    add(input: MemberAddInput): Promise<MemberAddResult>;
    remove(id: number): Promise<Member[]>;
    promote(id: number): Promise<Member[]>;
}
