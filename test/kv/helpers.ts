// Test helpers: a KvStateMachine on a temporary LevelDB, and etcd requests with proto3 defaults.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import {
  type CommandKind,
  type CommandRequests,
  type Compare,
  type CompareResult,
  type CompareTarget,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  encodeCommand,
  KvError,
  type KvResult,
  KvStateMachine,
  type KvStateMachineOptions,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
  type TxnResponse,
} from "../../src/kv/index.js";

export const b = (s: string): Buffer => Buffer.from(s, "latin1");
export const s = (buf: Buffer): string => buf.toString("latin1");

export function putReq(key: string, value: string, extra: Partial<PutRequest> = {}): PutRequest {
  return {
    key: b(key),
    value: b(value),
    lease: 0,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
    ...extra,
  };
}

export function rangeReq(key: string, rangeEnd = "", extra: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key: b(key),
    rangeEnd: b(rangeEnd),
    limit: 0,
    revision: 0,
    sortOrder: "NONE",
    sortTarget: "KEY",
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...extra,
  };
}

export function deleteReq(key: string, rangeEnd = "", prevKv = false): DeleteRangeRequest {
  return { key: b(key), rangeEnd: b(rangeEnd), prevKv };
}

export function cmp(
  key: string,
  target: CompareTarget,
  result: CompareResult,
  operand: number | string,
  rangeEnd = "",
): Compare {
  const c: Compare = { key: b(key), target, result, rangeEnd: b(rangeEnd) };
  switch (target) {
    case "VALUE":
      c.targetUnion = "value";
      c.value = b(String(operand));
      break;
    case "VERSION":
      c.targetUnion = "version";
      c.version = Number(operand);
      break;
    case "CREATE":
      c.targetUnion = "createRevision";
      c.createRevision = Number(operand);
      break;
    case "MOD":
      c.targetUnion = "modRevision";
      c.modRevision = Number(operand);
      break;
    case "LEASE":
      c.targetUnion = "lease";
      c.lease = Number(operand);
      break;
  }
  return c;
}

export const opPut = (req: PutRequest): RequestOp => ({ request: "requestPut", requestPut: req });
export const opRange = (req: RangeRequest): RequestOp => ({ request: "requestRange", requestRange: req });
export const opDelete = (req: DeleteRangeRequest): RequestOp => ({
  request: "requestDeleteRange",
  requestDeleteRange: req,
});
export const opTxn = (req: TxnRequest): RequestOp => ({ request: "requestTxn", requestTxn: req });

export function txnReq(compare: Compare[], success: RequestOp[] = [], failure: RequestOp[] = []): TxnRequest {
  return { compare, success, failure };
}

/** A state machine on a temp dir, fed through the real command encoding. */
export class Harness {
  readonly dir: string;
  db: Level<Buffer, Buffer>;
  sm: KvStateMachine;
  index = 0;
  #sequence = 0n;

  readonly options: KvStateMachineOptions;

  private constructor(
    dir: string,
    db: Level<Buffer, Buffer>,
    sm: KvStateMachine,
    options: KvStateMachineOptions,
  ) {
    this.dir = dir;
    this.db = db;
    this.sm = sm;
    this.options = options;
  }

  /** `options.valueCacheBytes`: 0 makes every value read come from LevelDB. */
  static async create(dir?: string, options: KvStateMachineOptions = {}): Promise<Harness> {
    const location = dir ?? (await mkdtemp(join(tmpdir(), "raftkv-kv-")));
    const db = new Level<Buffer, Buffer>(join(location, "db"), {
      keyEncoding: "buffer",
      valueEncoding: "buffer",
    });
    await db.open();
    const sm = await KvStateMachine.open(
      db.sublevel<Buffer, Buffer>("kv", {
        keyEncoding: "buffer",
        valueEncoding: "buffer",
      }),
      options,
    );
    const h = new Harness(location, db, sm, options);
    h.index = sm.appliedIndex;
    return h;
  }

  entry<K extends CommandKind>(
    kind: K,
    request: CommandRequests[K],
  ): { index: number; data: Buffer; id: bigint } {
    const id = ++this.#sequence;
    return { index: ++this.index, data: encodeCommand(id, kind, request), id };
  }

  async run<K extends CommandKind>(
    kind: K,
    request: CommandRequests[K],
  ): Promise<KvResult | KvError | undefined> {
    const e = this.entry(kind, request);
    const results = await this.sm.apply([e]);
    return results.get(e.id);
  }

  async put(key: string, value: string, extra: Partial<PutRequest> = {}): Promise<PutResponse> {
    return ok(await this.run("put", putReq(key, value, extra))) as PutResponse;
  }

  async del(key: string, rangeEnd = "", prevKv = false): Promise<DeleteRangeResponse> {
    return ok(await this.run("deleteRange", deleteReq(key, rangeEnd, prevKv))) as DeleteRangeResponse;
  }

  async txn(req: TxnRequest): Promise<TxnResponse> {
    return ok(await this.run("txn", req)) as TxnResponse;
  }

  /** Grants leases (no revision is taken), so puts may name them. */
  async grant(...ids: number[]): Promise<void> {
    for (const id of ids) ok(await this.run("leaseGrant", { ID: id, TTL: 60 }));
  }

  /** Keys (latin1) of a range at the latest revision. */
  async keys(key: string, rangeEnd = "", extra: Partial<RangeRequest> = {}): Promise<string[]> {
    return (await this.sm.rangeAt(rangeReq(key, rangeEnd, extra))).kvs.map((kv) => s(kv.key));
  }

  async reopen(): Promise<void> {
    await this.db.close();
    this.db = new Level<Buffer, Buffer>(join(this.dir, "db"), {
      keyEncoding: "buffer",
      valueEncoding: "buffer",
    });
    await this.db.open();
    this.sm = await KvStateMachine.open(
      this.db.sublevel<Buffer, Buffer>("kv", {
        keyEncoding: "buffer",
        valueEncoding: "buffer",
      }),
      this.options,
    );
  }

  async close(): Promise<void> {
    await this.db.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function ok(result: KvResult | KvError | undefined): KvResult {
  if (result === undefined) throw new Error("no result");
  if (result instanceof KvError) throw result;
  return result;
}
