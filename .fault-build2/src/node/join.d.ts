import type { WireMember } from "../api/wire.js";
import type { NodeId } from "../raft/index.js";
import { type DataDir } from "../storage/index.js";
import type { NodeConfig } from "./config.js";
import type { Logger } from "./logger.js";
import type { MemberInfo } from "./members.js";
import type { RaftKvNode } from "./node.js";
export interface StartPlan {
    readonly dataDir: DataDir;
    readonly clusterId: number;
    readonly memberId: number;
    /** Write the initial configuration of --peers if the log is empty. */
    readonly bootstrap: boolean;
    /** The members to know before the log names them; null: the initial members of --peers. */
    readonly members: ReadonlyMap<NodeId, MemberInfo> | null;
    /** Started once the node serves (the self-promotion of a learner); returns its stopper. */
    readonly afterStart: ((node: RaftKvNode) => () => Promise<void>) | null;
}
/** One running member's answer to the questions a joining node asks. */
export interface ProbeAnswer {
    readonly endpoint: string;
    readonly clusterId: number;
    /** The answering member's ID. */
    readonly memberId: number;
    /** The leader it knows; 0 for none. */
    readonly leader: number;
    /** Its commit index. */
    readonly raftIndex: number;
    readonly members: readonly WireMember[];
}
export type JoinDecision = {
    readonly kind: "bootstrap";
} | {
    readonly kind: "wait";
    readonly reason: string;
} | {
    readonly kind: "fail";
    readonly reason: string;
}
/** Listed already ("existing"): take this ID. */
 | {
    readonly kind: "attach";
    readonly clusterId: number;
    readonly memberId: number;
}
/** Register as a learner, after removing `staleId` (an earlier life of this member) if set. */
 | {
    readonly kind: "register";
    readonly clusterId: number;
    readonly staleId: number | null;
};
export interface JoinInput {
    readonly state: "existing" | "auto";
    /** One of the initial members ("auto"). */
    readonly mayBootstrap: boolean;
    /** http://host:port this node advertises to peers. */
    readonly selfPeerURL: string;
    /** The cluster ID the initial members compute, and how many they are. */
    readonly initialClusterId: number;
    readonly initialSize: number;
    /** The ID this member has in the initial configuration. */
    readonly bootstrapMemberId: number;
    readonly answers: readonly ProbeAnswer[];
}
/** The pure part of joining: what to do given the answers of the running members. */
export declare function decideJoin(input: JoinInput): JoinDecision;
/** Asks every endpoint (in parallel) for its status and member list; silent ones are left out. */
export declare function probeMembers(endpoints: readonly string[], timeoutMs: number): Promise<ProbeAnswer[]>;
export interface PrepareOptions {
    /** Pause between two rounds of asking the members. Default: one election timeout. */
    readonly retryMs?: number;
}
/** Opens the data dir and decides how this node starts (see the top of this file). */
export declare function prepareStart(config: NodeConfig, log: Logger, options?: PrepareOptions): Promise<StartPlan>;
/**
 * Until this member votes: ask the leader to promote it. The leader refuses while the learner
 * lags ("not in sync"), so this simply retries; it ends once the member is a voter, is removed,
 * or the node stops.
 */
export declare function promoteWhenCaughtUp(node: RaftKvNode, endpoints: readonly string[], log: Logger, intervalMs: number): () => Promise<void>;
