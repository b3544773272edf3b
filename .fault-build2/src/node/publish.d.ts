import { type KvStateMachine, type Member } from "../kv/index.js";
import type { Logger } from "./logger.js";
export interface PublishTarget {
    readonly memberId: number;
    readonly kv: Pick<KvStateMachine, "member">;
    /** Whether a leader is known now (proposals would be refused otherwise). */
    hasLeader(): boolean;
    proposeMemberAttributes(attributes: Member): Promise<unknown>;
}
/** Whether the committed entry data is a memberAttributes command (header only; cheap). */
export declare function isMemberAttributesEntry(data: Uint8Array): boolean;
/** The attributes this member publishes and whether the stored record already says so. */
export declare function attributesPublished(stored: {
    readonly name: string;
    readonly clientURLs: readonly string[];
} | undefined, wanted: {
    readonly name: string;
    readonly clientURLs: readonly string[];
}): boolean;
export declare class AttributePublisher {
    #private;
    constructor(target: PublishTarget, name: string, clientURLs: readonly string[], log: Logger);
    get published(): boolean;
    /** Call on every tick and leader change: proposes when needed, at most one at a time. */
    poke(): void;
}
