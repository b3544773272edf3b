// What a data dir says about its member, read before the node starts: its name, cluster ID,
// member ID, the cluster token it was created with, and the members it knows (the applied
// membership). A restart builds its configuration from this, not from --peers.

import { type MemberMetadata, readMemberRecords } from "../kv/index.js";
import { peekDataDir } from "../storage/index.js";

export interface StoredMember {
  readonly dataDir: string;
  readonly name: string;
  readonly clusterId: number;
  readonly memberId: number;
  /** Absent in data dirs created before the token was recorded. */
  readonly clusterToken?: string;
  /** The applied membership by member ID; empty before the first membership entry is applied. */
  readonly members: ReadonlyMap<number, MemberMetadata>;
}

/** The data dir's member, or null when there is none yet (or one the open will refuse). */
export async function readStoredMember(dataDir: string): Promise<StoredMember | null> {
  const peek = await peekDataDir(dataDir, (kv) => readMemberRecords(kv));
  if (peek === null) return null;
  const { name, clusterId, memberId, clusterToken } = peek.identity;
  return {
    dataDir,
    name,
    clusterId,
    memberId,
    ...(clusterToken === undefined ? {} : { clusterToken }),
    members: peek.value ?? new Map(),
  };
}
