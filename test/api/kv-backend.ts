// An ApiBackend over a REAL KvStateMachine in a temporary LevelDB: a proposal is framed as a
// command (from the bytes the request arrived in, as the node may do), applied at once as the next
// log index, and answered with the state machine's result. A single-member "cluster" that always
// has a leader: enough to test the API end to end with our client and with etcdctl.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import type { ApiBackend, Member, NodeStatus, ProposalKind } from "../../src/api/backend.js";
import {
  type CommandRequests,
  encodeCommand,
  encodeCommandFromBytes,
  type KvDatabase,
  KvError,
  KvStateMachine,
  RequestIdSource,
} from "../../src/kv/index.js";
import { CLUSTER_ID, MEMBER_ID } from "./helpers.js";

export class KvBackend implements ApiBackend {
  readonly clusterId = CLUSTER_ID;
  readonly memberId = MEMBER_ID;
  readonly kv: KvStateMachine;
  readonly #db: Level<Buffer, Buffer>;
  readonly #dir: string;
  readonly #ids = new RequestIdSource("test", 0);
  #index = 0;
  /** apply() calls must not overlap: proposals queue here. */
  #applying: Promise<unknown> = Promise.resolve();
  /** Proposals that came with their wire bytes (and were framed from them). */
  framedFromBytes = 0;

  private constructor(dir: string, db: Level<Buffer, Buffer>, kv: KvStateMachine) {
    this.#dir = dir;
    this.#db = db;
    this.kv = kv;
    this.#index = kv.appliedIndex;
  }

  static async open(): Promise<KvBackend> {
    const dir = await mkdtemp(join(tmpdir(), "raftkv-api-"));
    const db = new Level<Buffer, Buffer>(join(dir, "db"), { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.open();
    const kv = await KvStateMachine.open(db as unknown as KvDatabase);
    return new KvBackend(dir, db, kv);
  }

  async close(): Promise<void> {
    await this.#applying.catch(() => undefined);
    await this.#db.close();
    await rm(this.#dir, { recursive: true, force: true });
  }

  raftTerm(): number {
    return 2;
  }

  propose(kind: ProposalKind, req: object, encoded?: Buffer): Promise<object> {
    const id = this.#ids.next();
    const data =
      encoded === undefined
        ? encodeCommand(id, kind, req as CommandRequests[typeof kind])
        : encodeCommandFromBytes(id, kind, encoded);
    if (encoded !== undefined) this.framedFromBytes++;
    const applied = this.#applying.then(() => this.kv.apply([{ index: ++this.#index, data }]));
    this.#applying = applied.catch(() => undefined);
    return applied.then((results) => {
      const result = results.get(id);
      if (result instanceof KvError) throw result;
      if (result === undefined) throw new Error(`no result for request ${id}`);
      return result;
    });
  }

  readBarrier(): Promise<void> {
    return this.#applying.then(() => undefined);
  }

  members(): Member[] {
    return [
      {
        id: MEMBER_ID,
        name: "node-0",
        peerURLs: ["http://127.0.0.1:2380"],
        clientURLs: ["http://127.0.0.1:2379"],
        isLearner: false,
      },
    ];
  }

  status(): NodeStatus {
    return {
      leader: MEMBER_ID,
      raftIndex: this.#index,
      raftTerm: 2,
      raftAppliedIndex: this.kv.appliedIndex,
      dbSize: 8192,
      version: "3.4.0",
      isLearner: false,
      errors: [],
    };
  }

  async moveLeader(): Promise<void> {}

  snapshot(): AsyncIterable<Buffer> {
    return this.kv.exportSnapshot();
  }

  ready(): boolean {
    return true;
  }
}
