// `raftkv put | get | del | txn | members | status`: a small client for users without etcdctl.
// Output is etcdctl's "simple" format by default, JSON with --json.

import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import {
  type CompareInput,
  cmp,
  EtcdClient,
  op,
  type RequestOpInput,
  type TxnInput,
} from "../client/index.js";
import type { KeyValue, ResponseOp } from "../kv/types.js";

export interface Common {
  endpoints: string;
  json?: boolean;
  timeoutMs: string;
}

export function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--endpoints <list>", "comma-separated host:port")
        .env("RAFTKV_ENDPOINTS")
        .default("127.0.0.1:2379"),
    )
    .addOption(new Option("--timeout-ms <ms>", "per-call timeout").default("5000"))
    .option("--json", "print the response as JSON");
}

export async function withClient<T>(o: Common, fn: (c: EtcdClient) => Promise<T>): Promise<void> {
  const client = new EtcdClient(
    o.endpoints
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    { timeoutMs: Number(o.timeoutMs) },
  );
  try {
    const res = await fn(client);
    if (o.json && res !== undefined) process.stdout.write(`${JSON.stringify(res, jsonReplacer, 2)}\n`);
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`Error: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && (value as { type?: string }).type === "Buffer") {
    return Buffer.from((value as { data: number[] }).data).toString("utf8");
  }
  return value;
}

function printKvs(kvs: readonly KeyValue[], keysOnly: boolean): void {
  for (const kv of kvs) {
    process.stdout.write(`${kv.key.toString()}\n`);
    if (!keysOnly) process.stdout.write(`${kv.value.toString()}\n`);
  }
}

export function addClientCommands(program: Command): void {
  commonOptions(
    program
      .command("put <key> <value>")
      .description("put a key")
      .option("--prev-kv", "print the previous value"),
  ).action((key: string, value: string, o: Common & { prevKv?: boolean }) =>
    withClient(o, async (c) => {
      const res = await c.put(key, value, { prevKv: o.prevKv === true });
      if (o.json) return res;
      process.stdout.write("OK\n");
      if (res.prevKv) printKvs([res.prevKv], false);
      return undefined;
    }),
  );

  commonOptions(
    program
      .command("get <key> [rangeEnd]")
      .description("get a key or a range")
      .option("--prefix", "every key with this prefix")
      .option("--from-key", "every key >= key")
      .option("--limit <n>", "at most n keys")
      .option("--keys-only", "keys without values")
      .option("--count-only", "only the count")
      .option("--serializable", "serve from the local node without a ReadIndex round")
      .option("--rev <revision>", "read at this revision"),
  ).action(
    (key: string, rangeEnd: string | undefined, o: Common & Record<string, string | boolean | undefined>) =>
      withClient(o, async (c) => {
        const res = await c.get(key, {
          prefix: o.prefix === true,
          fromKey: o.fromKey === true,
          rangeEnd,
          limit: o.limit ? Number(o.limit) : 0,
          keysOnly: o.keysOnly === true,
          countOnly: o.countOnly === true,
          serializable: o.serializable === true,
          revision: o.rev ? Number(o.rev) : 0,
        });
        if (o.json) return res;
        if (o.countOnly) process.stdout.write(`${res.count}\n`);
        else printKvs(res.kvs, o.keysOnly === true);
        return undefined;
      }),
  );

  commonOptions(
    program
      .command("del <key> [rangeEnd]")
      .description("delete a key or a range")
      .option("--prefix", "every key with this prefix")
      .option("--from-key", "every key >= key")
      .option("--prev-kv", "print the deleted pairs"),
  ).action(
    (key: string, rangeEnd: string | undefined, o: Common & Record<string, string | boolean | undefined>) =>
      withClient(o, async (c) => {
        const res = await c.delete(key, {
          prefix: o.prefix === true,
          fromKey: o.fromKey === true,
          rangeEnd,
          prevKv: o.prevKv === true,
        });
        if (o.json) return res;
        process.stdout.write(`${res.deleted}\n`);
        printKvs(res.prevKvs, false);
        return undefined;
      }),
  );

  commonOptions(
    program
      .command("txn")
      .description(
        "run a transaction read from stdin (or --file) in etcdctl's format:\n" +
          '  compares, one per line (e.g. value("k") = "v", mod("k") > "3"), a blank line,\n' +
          "  success ops (put k v | get k | del k), a blank line, failure ops",
      )
      .option("--file <path>", "read the transaction from a file"),
  ).action((o: Common & { file?: string }) =>
    withClient(o, async (c) => {
      const text = readFileSync(o.file ?? 0, "utf8");
      const res = await c.txn(parseTxn(text));
      if (o.json) return res;
      process.stdout.write(res.succeeded ? "SUCCESS\n" : "FAILURE\n");
      for (const r of res.responses) printResponseOp(r);
      return undefined;
    }),
  );

  commonOptions(program.command("members").description("list the members")).action((o: Common) =>
    withClient(o, async (c) => {
      const res = await c.memberList();
      if (o.json) return res;
      for (const m of res.members) {
        const started = m.name === "" ? "unstarted" : "started";
        process.stdout.write(
          `${BigInt(m.ID).toString(16)}, ${started}, ${m.name}, ${m.peerURLs.join(",")}, ${m.clientURLs.join(",")}, ${m.isLearner}\n`,
        );
      }
      return undefined;
    }),
  );

  commonOptions(program.command("status").description("status of each endpoint")).action((o: Common) =>
    withClient(o, async (c) => {
      const out: object[] = [];
      for (const ep of o.endpoints
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const s = await c.status(ep);
        out.push({ endpoint: ep, ...s });
        if (!o.json) {
          process.stdout.write(
            `${ep}, ${BigInt(s.header?.memberId ?? 0).toString(16)}, ${s.version}, ${s.dbSize}, leader=${BigInt(s.leader).toString(16)}, term=${s.raftTerm}, index=${s.raftIndex}, applied=${s.raftAppliedIndex}\n`,
          );
        }
      }
      return o.json ? out : undefined;
    }),
  );
}

function printResponseOp(r: ResponseOp): void {
  if (r.responsePut) process.stdout.write("OK\n");
  else if (r.responseDeleteRange) process.stdout.write(`${r.responseDeleteRange.deleted}\n`);
  else if (r.responseRange) printKvs(r.responseRange.kvs, false);
}

/** Parses etcdctl's interactive txn format. */
export function parseTxn(text: string): TxnInput {
  const sections: string[][] = [[], [], []];
  let s = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") {
      if (s < 2) s++;
      continue;
    }
    sections[s]!.push(line);
  }
  return {
    compare: sections[0]!.map(parseCompare),
    success: sections[1]!.map(parseOp),
    failure: sections[2]!.map(parseOp),
  };
}

function unquote(v: string): string {
  const t = v.trim();
  return t.startsWith('"') && t.endsWith('"') ? (JSON.parse(t) as string) : t;
}

function parseCompare(line: string): CompareInput {
  const m = /^(value|version|create|mod|lease)\("((?:[^"\\]|\\.)*)"\)\s*(=|!=|>|<)\s*(.+)$/.exec(line);
  if (m === null) throw new Error(`bad compare: ${line}`);
  const [, target, key, operator, rawValue] = m as unknown as [
    string,
    string,
    string,
    "=" | "!=" | ">" | "<",
    string,
  ];
  const value = unquote(rawValue);
  switch (target) {
    case "value":
      return cmp.value(key, operator, value);
    case "version":
      return cmp.version(key, operator, Number(value));
    case "create":
      return cmp.createRevision(key, operator, Number(value));
    case "mod":
      return cmp.modRevision(key, operator, Number(value));
    default:
      return cmp.lease(key, operator, Number(value));
  }
}

function parseOp(line: string): RequestOpInput {
  const words = line.match(/"(?:[^"\\]|\\.)*"|\S+/g)?.map(unquote) ?? [];
  const [verb, key, value] = words;
  if (key === undefined) throw new Error(`bad operation: ${line}`);
  if (verb === "put" && value !== undefined) return op.put(key, value);
  if (verb === "get") return op.get(key);
  if (verb === "del" || verb === "delete") return op.delete(key);
  throw new Error(`bad operation: ${line}`);
}
