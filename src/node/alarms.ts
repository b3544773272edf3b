// The backend quota (etcd's --quota-backend-bytes) and the NOSPACE alarm it raises.
//
// Each member measures its own store (the LevelDB files of its data dir: KV data, its history and
// the Raft log that shares the database). A write that adds data (Put, a Txn with a Put, a lease
// grant) is refused before it is proposed when the store is at or past the quota, as etcd's
// quotaKVServer does, and the member raises a NOSPACE alarm through Raft; it also raises it on
// its own when a measurement finds the store past the quota. Once the alarm is applied, every
// member refuses such writes on apply (src/kv/alarms.ts) until an operator disarms it — after
// compacting and defragmenting, as with etcd — with `etcdctl alarm disarm`.

import { txnHasPut } from "../kv/alarms.js";
import { KvError } from "../kv/index.js";
import type { KvStateMachine } from "../kv/mvcc.js";
import type { TxnRequest } from "../kv/types.js";
import type { StoreSizer } from "../storage/index.js";
import { hex } from "./ids.js";
import type { Logger } from "./logger.js";
import type { RaftKvNode } from "./node.js";

/** etcd's default (DefaultQuotaBytes): 2 GiB. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

const CHECK_EVERY_MS = 1000;

/** Whether a proposal adds data (etcd's quota cost > 0). */
function addsData(kind: string, request: object | null): boolean {
  if (kind === "put" || kind === "leaseGrant") return true;
  return kind === "txn" && request !== null && txnHasPut(request as TxnRequest);
}

export class QuotaMonitor {
  readonly #node: RaftKvNode;
  readonly #kv: KvStateMachine;
  readonly #size: StoreSizer;
  readonly #quotaBytes: number;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #raising = false;

  constructor(o: {
    node: RaftKvNode;
    kv: KvStateMachine;
    size: StoreSizer;
    quotaBytes: number;
    log: Logger;
  }) {
    this.#node = o.node;
    this.#kv = o.kv;
    this.#size = o.size;
    this.#quotaBytes = o.quotaBytes;
    this.#log = o.log;
  }

  start(): void {
    this.#node.addHooks({ admit: (kind, request) => this.#admit(kind, request) });
    this.#timer = setInterval(() => {
      if (this.#exceeded(0)) this.#raise();
    }, CHECK_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #exceeded(costBytes: number): boolean {
    return this.#estimatedBytes() + costBytes > this.#quotaBytes;
  }

  /**
   * The last measurement plus what this member admitted since (twice: the Raft log entry and the
   * KV data): a fast writer must not run far past the quota between two measurements.
   */
  #estimatedBytes(): number {
    const current = this.#size.current;
    if (current !== this.#measured) {
      this.#measured = current;
      this.#admittedBytes = 0;
    }
    return current.dbSize + this.#admittedBytes;
  }

  #measured: object | null = null;
  #admittedBytes = 0;

  #admit(kind: string, request: object | null): Error | null {
    if (!addsData(kind, request)) return null;
    if (!this.#exceeded(0)) {
      this.#admittedBytes += 2 * requestBytes(request);
      return null;
    }
    this.#raise();
    return new KvError("RAFTKV_NO_SPACE");
  }

  /** Proposes ACTIVATE NOSPACE for this member, unless it is raised already (or on its way). */
  #raise(): void {
    const self = this.#node.memberId;
    if (this.#raising || this.#kv.alarms("NOSPACE").some((a) => a.memberID === self)) return;
    this.#raising = true;
    this.#log.warn(
      { dbSize: this.#size.current.dbSize, quota: this.#quotaBytes, member: hex(self) },
      "the store passed --quota-backend-bytes: raising the NOSPACE alarm",
    );
    this.#node
      .propose("alarm", { action: "ACTIVATE", memberID: self, alarm: "NOSPACE" })
      .catch((err: unknown) => this.#log.warn({ err }, "raising the NOSPACE alarm failed; retrying"))
      .finally(() => {
        this.#raising = false;
      });
  }
}

/** Rough size of a write request: its key and value bytes (a Txn or other request: 256). */
function requestBytes(request: object | null): number {
  const r = request as { key?: unknown; value?: unknown } | null;
  if (r !== null && Buffer.isBuffer(r.key) && Buffer.isBuffer(r.value)) return r.key.length + r.value.length;
  return 256;
}
