// A minimal synchronous driver for unit tests of the core: perfect network, every Ready
// persisted and applied at once. The deterministic simulator (test/sim) covers faults.

import {
  bootstrap,
  type Entry,
  MemoryStorage,
  type Message,
  Raft,
  type RaftConfig,
} from "../../src/raft/index.js";

export const CLUSTER_ID = 0xc1;

export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestNode {
  raft: Raft;
  storage: MemoryStorage;
  applied: Entry[];
  reads: { index: number; ctx: string }[];
}

export class Cluster {
  readonly nodes = new Map<number, TestNode>();
  readonly queue: Message[] = [];
  /** Messages to these nodes are dropped. */
  readonly isolated = new Set<number>();

  constructor(ids: number[], extra: Partial<RaftConfig> = {}, seed = 1) {
    for (const id of ids) {
      const storage = new MemoryStorage();
      bootstrap(storage, ids);
      const raft = new Raft({
        id,
        clusterId: CLUSTER_ID,
        storage,
        random: seeded(seed * 1000 + id),
        ...extra,
      });
      this.nodes.set(id, { raft, storage, applied: [], reads: [] });
    }
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Process Readies and deliver messages until quiet. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let progressed = false;
      for (const n of this.nodes.values()) {
        if (!n.raft.hasReady()) continue;
        progressed = true;
        this.queue.push(...this.drain(n.raft.id));
      }
      const batch = this.queue.splice(0);
      for (const m of batch) {
        if (this.isolated.has(m.to) || this.isolated.has(m.from)) continue;
        this.nodes.get(m.to)?.raft.step(m);
        progressed = true;
      }
      if (!progressed) return;
    }
    throw new Error("cluster did not stabilize");
  }

  /** Persist and apply the node's Readies until it has none; returns the messages it sent. */
  drain(id: number): Message[] {
    const n = this.node(id);
    const sent: Message[] = [];
    while (n.raft.hasReady()) {
      const rd = n.raft.ready();
      if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState) n.storage.setHardState(rd.hardState);
      sent.push(...rd.messagesNoWait, ...rd.messages);
      n.applied.push(...rd.committed);
      for (const r of rd.readStates)
        n.reads.push({ index: r.index, ctx: Buffer.from(r.requestCtx).toString() });
      n.raft.advance(rd);
    }
    return sent;
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  leader(): TestNode | undefined {
    return [...this.nodes.values()].find((n) => n.raft.role === "leader" && !this.isolated.has(n.raft.id));
  }

  electLeader(maxTicks = 200): TestNode {
    for (let i = 0; i < maxTicks; i++) {
      this.tickAll();
      const l = this.leader();
      if (l) return l;
    }
    throw new Error("no leader elected");
  }
}
