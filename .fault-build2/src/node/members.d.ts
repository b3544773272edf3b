import type { Member } from "../api/backend.js";
import { type ConfChange } from "../raft/index.js";
export interface MemberInfo {
    readonly name: string;
    readonly peerURLs: readonly string[];
    readonly clientURLs: readonly string[];
}
/** What a membership-change entry carries for the application. */
export declare function encodeMemberContext(info: MemberInfo): Uint8Array;
export declare function decodeMemberContext(data: Uint8Array): MemberInfo | null;
export interface PeerDirectory {
    addPeer(id: number, url: string): void;
    removePeer(id: number): void;
}
export declare class MemberTable {
    #private;
    /** Members removed from the cluster: their messages are refused for good. */
    readonly removed: Set<number>;
    static fromEntries(entries: Iterable<[number, MemberInfo]>): MemberTable;
    get(id: number): MemberInfo | undefined;
    set(id: number, info: MemberInfo): void;
    entries(): [number, MemberInfo][];
    /** The members of the given configuration, in etcd's Member shape. */
    list(voters: readonly number[], learners: readonly number[]): Member[];
    /** Apply a committed membership change: update the table and the transport's peers. */
    applyConfChange(data: Uint8Array, peers: PeerDirectory, selfId: number): ConfChange | null;
}
