// The replicated alarm table (etcd's alarmStore): which member raised which alarm. Changed only by
// applying an "alarm" command (Maintenance.Alarm ACTIVATE / DEACTIVATE through Raft), stored in the
// "x" keyspace (layout.ts) in the same batch as the applied index, and carried by snapshots.
//
// While any NOSPACE alarm is active the state machine refuses, on apply, every request that adds
// data — Put, a Txn with a Put in it, LeaseGrant — with etcd's "mvcc: database space exceeded"
// (etcd's applierV3Capped). Reads, deletes, Compact, lease revocation and alarm changes still work.

import { alarmKey, readU64 } from "./layout.js";
import type { RequestOp, TxnRequest } from "./types.js";

type BatchOp = { type: "put"; key: Buffer; value: Buffer } | { type: "del"; key: Buffer };

export type AlarmType = "NONE" | "NOSPACE" | "CORRUPT";
export type AlarmAction = "GET" | "ACTIVATE" | "DEACTIVATE";

/** etcdserverpb.AlarmRequest as decoded (enums as names). */
export interface AlarmRequest {
  action: AlarmAction;
  /** The member the alarm is about; 0 is a valid ID here (etcd stores what it is given). */
  memberID: number;
  alarm: AlarmType;
}

export interface AlarmMember {
  memberID: number;
  alarm: AlarmType;
}

/** etcdserverpb.AlarmResponse without its header's cluster fields. */
export interface AlarmResponse {
  header: { clusterId: number; memberId: number; revision: number; raftTerm: number };
  alarms: AlarmMember[];
}

/** Wire numbers of AlarmType (stored in the "x" keys; stable). */
const ALARM_CODES: Readonly<Record<AlarmType, number>> = { NONE: 0, NOSPACE: 1, CORRUPT: 2 };
const ALARM_BY_CODE = new Map<number, AlarmType>(
  (Object.keys(ALARM_CODES) as AlarmType[]).map((t) => [ALARM_CODES[t], t]),
);

export function alarmCode(type: AlarmType): number {
  return ALARM_CODES[type];
}

/** Decodes an "x" key (after its keyspace byte): member ID u64, alarm type u8. */
export function decodeAlarmKey(key: Uint8Array): AlarmMember {
  if (key.length !== 10) throw new Error(`raftkv: KV store corrupt: alarm key of ${key.length} bytes`);
  const alarm = ALARM_BY_CODE.get(key[9]!);
  if (alarm === undefined || alarm === "NONE")
    throw new Error(`raftkv: KV store corrupt: unknown alarm type ${key[9]}`);
  return { memberID: readU64(key, 1), alarm };
}

export class AlarmTable {
  /** "memberID:type" → the alarm, in insertion order. */
  readonly #alarms = new Map<string, AlarmMember>();

  static #id(memberID: number, alarm: AlarmType): string {
    return `${memberID}:${alarm}`;
  }

  /** Restores one stored alarm (at open or after a snapshot import). */
  restore(alarm: AlarmMember): void {
    this.#alarms.set(AlarmTable.#id(alarm.memberID, alarm.alarm), alarm);
  }

  /**
   * etcd's applier: ACTIVATE stores the alarm and answers it (nothing for NONE or one already
   * raised); DEACTIVATE removes exactly (member, type) and answers it (nothing if absent); GET
   * answers every alarm of the type (all of them for NONE). Deterministic.
   */
  apply(request: AlarmRequest, ops: BatchOp[]): AlarmMember[] {
    switch (request.action) {
      case "GET":
        return this.list(request.alarm);
      case "ACTIVATE": {
        if (request.alarm === "NONE") return [];
        const id = AlarmTable.#id(request.memberID, request.alarm);
        if (this.#alarms.has(id)) return [];
        const alarm = { memberID: request.memberID, alarm: request.alarm };
        this.#alarms.set(id, alarm);
        ops.push({ type: "put", key: alarmKey(alarm.memberID, alarmCode(alarm.alarm)), value: EMPTY });
        return [alarm];
      }
      case "DEACTIVATE": {
        const id = AlarmTable.#id(request.memberID, request.alarm);
        const alarm = this.#alarms.get(id);
        if (alarm === undefined) return [];
        this.#alarms.delete(id);
        ops.push({ type: "del", key: alarmKey(alarm.memberID, alarmCode(alarm.alarm)) });
        return [alarm];
      }
    }
  }

  /** Active alarms of `type` (every alarm for NONE), ordered by member ID then type. */
  list(type: AlarmType = "NONE"): AlarmMember[] {
    return [...this.#alarms.values()]
      .filter((a) => type === "NONE" || a.alarm === type)
      .sort((a, b) => a.memberID - b.memberID || alarmCode(a.alarm) - alarmCode(b.alarm))
      .map((a) => ({ ...a }));
  }

  has(type: AlarmType, memberID?: number): boolean {
    for (const a of this.#alarms.values()) {
      if (a.alarm === type && (memberID === undefined || a.memberID === memberID)) return true;
    }
    return false;
  }
}

const EMPTY = Buffer.alloc(0);

/** True if a Txn would add data on either branch (etcd counts a txn's puts as its quota cost). */
export function txnHasPut(txn: TxnRequest): boolean {
  const anyPut = (ops: readonly RequestOp[]): boolean =>
    ops.some((op) => op.requestPut != null || (op.requestTxn != null && txnHasPut(op.requestTxn)));
  return anyPut(txn.success) || anyPut(txn.failure);
}
