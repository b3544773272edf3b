// The member table: names and URLs of the members, keyed by member ID. The Raft core knows only
// IDs (its configuration); names and URLs travel in the context of membership-change entries and
// are stored in the data dir so they survive restarts and log compaction.

import type { Member } from "../api/backend.js";
import { type ConfChange, decodeConfChange } from "../raft/index.js";

export interface MemberInfo {
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
}

/** What a membership-change entry carries for the application. */
export function encodeMemberContext(info: MemberInfo): Uint8Array {
  return Buffer.from(
    JSON.stringify({ name: info.name, peerURLs: info.peerURLs, clientURLs: info.clientURLs }),
  );
}

export function decodeMemberContext(data: Uint8Array): MemberInfo | null {
  if (data.byteLength === 0) return null;
  try {
    const v = JSON.parse(Buffer.from(data).toString("utf8")) as Partial<MemberInfo>;
    if (typeof v.name !== "string" || !Array.isArray(v.peerURLs)) return null;
    return {
      name: v.name,
      peerURLs: v.peerURLs.filter((u) => typeof u === "string"),
      clientURLs: Array.isArray(v.clientURLs) ? v.clientURLs.filter((u) => typeof u === "string") : [],
    };
  } catch {
    return null;
  }
}

export interface PeerDirectory {
  addPeer(id: number, url: string): void;
  removePeer(id: number): void;
  /** Removed for good: refuse it with "removed" so that it stops (the transport does). */
  markRemoved?(id: number): void;
}

export class MemberTable {
  readonly #members = new Map<number, MemberInfo>();
  /** Members removed from the cluster: their messages are refused for good. */
  readonly removed = new Set<number>();
  readonly #selfRemovedListeners: (() => void)[] = [];

  /** Called once when a committed change removes this member (it must stop: etcd exits). */
  onSelfRemoved(fn: () => void): void {
    this.#selfRemovedListeners.push(fn);
  }

  static fromEntries(entries: Iterable<[number, MemberInfo]>): MemberTable {
    const t = new MemberTable();
    for (const [id, info] of entries) t.#members.set(id, info);
    return t;
  }

  get(id: number): MemberInfo | undefined {
    return this.#members.get(id);
  }

  set(id: number, info: MemberInfo): void {
    this.#members.set(id, info);
  }

  entries(): [number, MemberInfo][] {
    return [...this.#members];
  }

  /** The members of the given configuration, in etcd's Member shape. */
  list(voters: readonly number[], learners: readonly number[]): Member[] {
    const out: Member[] = [];
    for (const [ids, isLearner] of [
      [voters, false],
      [learners, true],
    ] as const) {
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
  applyConfChange(data: Uint8Array, peers: PeerDirectory, selfId: number): ConfChange | null {
    let cc: ConfChange;
    try {
      cc = decodeConfChange(data);
    } catch {
      return null;
    }
    if (cc.type === "removeNode") {
      this.#members.delete(cc.nodeId);
      this.removed.add(cc.nodeId);
      if (cc.nodeId !== selfId) {
        if (peers.markRemoved) peers.markRemoved(cc.nodeId);
        else peers.removePeer(cc.nodeId);
      } else {
        // After the caller has recorded the change: listeners may stop the node.
        const listeners = this.#selfRemovedListeners.splice(0);
        queueMicrotask(() => {
          for (const fn of listeners) fn();
        });
      }
      return cc;
    }
    const info = decodeMemberContext(cc.context);
    if (info !== null) this.#members.set(cc.nodeId, info);
    const url = this.#members.get(cc.nodeId)?.peerURLs[0];
    if (url !== undefined && cc.nodeId !== selfId) peers.addPeer(cc.nodeId, url);
    return cc;
  }
}
