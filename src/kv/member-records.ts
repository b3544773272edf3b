// The member records the state machine keeps (mvcc.ts writes them on apply), read straight from
// a KV keyspace without opening the state machine: a restart reads its peers from them.

import { MEMBER_RANGE, readU64 } from "./layout.js";
import type { MemberMetadata } from "./types.js";

/** What reading the records needs from the KV keyspace (a LevelDB sublevel, Buffer keys). */
export interface MemberRecordSource {
  iterator(options: { gte: Buffer; lt: Buffer }): { all(): Promise<[Buffer, Buffer][]> };
}

/** The stored member records, by member ID; a record that does not decode throws. */
export async function readMemberRecords(kv: MemberRecordSource): Promise<Map<number, MemberMetadata>> {
  const out = new Map<number, MemberMetadata>();
  for (const [key, value] of await kv.iterator({ ...MEMBER_RANGE }).all()) {
    const v = JSON.parse(Buffer.from(value).toString("utf8")) as Partial<MemberMetadata>;
    if (typeof v.name !== "string" || !Array.isArray(v.peerURLs) || !Array.isArray(v.clientURLs)) {
      throw new Error("raftkv: KV store corrupt: bad member metadata");
    }
    out.set(readU64(key, 1), { name: v.name, peerURLs: v.peerURLs, clientURLs: v.clientURLs });
  }
  return out;
}
