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
import { hex } from "../node/ids.js";
import { cleanErrorMessage, humanBytes, intArg, renderTable } from "./output.js";

export interface Common {
  endpoints: string;
  json?: boolean;
  /** -w: table (the default of members and status), json, or simple (one line per item). */
  writeOut?: "table" | "json" | "simple";
  timeoutMs: number;
}

export function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--endpoints <list>", "comma-separated host:port")
        .env("RAFTKV_ENDPOINTS")
        .default("127.0.0.1:2379"),
    )
    .addOption(
      new Option("--timeout-ms <ms>", "per-call timeout").default(5000).argParser(intArg("--timeout-ms", 1)),
    )
    .option("--json", "print the response as JSON");
}

/** -w / --write-out, for the commands that print tables. */
function writeOutOption(cmd: Command): Command {
  return cmd.addOption(
    new Option("-w, --write-out <format>", "table, json (for scripts) or simple (one line each)")
      .choices(["table", "json", "simple"])
      .default("table"),
  );
}

/** Whether the output is JSON (--json or -w json). */
export function wantsJson(o: Common): boolean {
  return o.json === true || o.writeOut === "json";
}

/** Reads stdin to its end (a value too large for argv). */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
    if (wantsJson(o) && res !== undefined) process.stdout.write(`${JSON.stringify(res, jsonReplacer, 2)}\n`);
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`Error: ${cleanErrorMessage(e.message)}\n`);
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
      .command("put <key> [value]")
      .description("put a key; without a value, the value is read from stdin (any size, any bytes)")
      .option("--prev-kv", "print the previous value"),
  ).action(async (key: string, value: string | undefined, o: Common & { prevKv?: boolean }) => {
    const data = value ?? (await readStdin());
    return withClient(o, async (c) => {
      const res = await c.put(key, data, { prevKv: o.prevKv === true });
      if (o.json) return res;
      process.stdout.write("OK\n");
      if (res.prevKv) printKvs([res.prevKv], false);
      return undefined;
    });
  });

  commonOptions(
    program
      .command("get <key> [rangeEnd]")
      .description("get a key or a range")
      .option("--prefix", "every key with this prefix")
      .option("--from-key", "every key >= key")
      .option("--limit <n>", "at most n keys", intArg("--limit", 0))
      .option("--keys-only", "keys without values")
      .option("--count-only", "only the count")
      .option("--serializable", "serve from the local node without a ReadIndex round")
      .option("--rev <revision>", "read at this revision", intArg("--rev", 0)),
  ).action(
    (
      key: string,
      rangeEnd: string | undefined,
      o: Common & Record<string, string | number | boolean | undefined>,
    ) =>
      withClient(o, async (c) => {
        const res = await c.get(key, {
          prefix: o.prefix === true,
          fromKey: o.fromKey === true,
          rangeEnd,
          limit: typeof o.limit === "number" ? o.limit : 0,
          keysOnly: o.keysOnly === true,
          countOnly: o.countOnly === true,
          serializable: o.serializable === true,
          revision: typeof o.rev === "number" ? o.rev : 0,
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
    (
      key: string,
      rangeEnd: string | undefined,
      o: Common & Record<string, string | number | boolean | undefined>,
    ) =>
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

  commonOptions(writeOutOption(program.command("members").description("list the members"))).action(
    (o: Common) =>
      withClient(o, async (c) => {
        const res = await c.memberList();
        if (wantsJson(o)) return res;
        const rows = res.members.map((m) => [
          hex(m.ID),
          m.name === "" ? "unstarted" : "started",
          m.name,
          m.peerURLs.join(","),
          m.clientURLs.join(","),
          String(m.isLearner),
        ]);
        process.stdout.write(
          o.writeOut === "simple"
            ? rows.map((r) => `${r.join(", ")}\n`).join("")
            : renderTable(["ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"], rows),
        );
        return undefined;
      }),
  );

  commonOptions(writeOutOption(program.command("status").description("status of each endpoint"))).action(
    (o: Common) => withClient(o, (c) => printStatus(c, o)),
  );
}

/** One row per endpoint, as `etcdctl endpoint status -w table`; an endpoint that fails says why. */
async function printStatus(c: EtcdClient, o: Common): Promise<object[] | undefined> {
  const endpoints = o.endpoints
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const out: object[] = [];
  const rows: string[][] = [];
  let failed = 0;
  for (const ep of endpoints) {
    try {
      const s = await c.status(ep);
      out.push({ endpoint: ep, ...s });
      const id = hex(s.header?.memberId ?? 0);
      rows.push([
        ep,
        id,
        s.version,
        humanBytes(Number(s.dbSize)),
        String(hex(s.leader) === id),
        String(s.isLearner === true),
        String(s.raftTerm),
        String(s.raftIndex),
        String(s.raftAppliedIndex),
        hex(s.leader),
        (s.errors ?? []).join(", "),
      ]);
    } catch (err) {
      failed++;
      const message = cleanErrorMessage((err as Error).message);
      out.push({ endpoint: ep, error: message });
      rows.push([ep, "", "", "", "", "", "", "", "", "", message]);
    }
  }
  if (failed > 0) process.exitCode = 1;
  if (wantsJson(o)) return out;
  const header = [
    "ENDPOINT",
    "ID",
    "VERSION",
    "DB SIZE",
    "IS LEADER",
    "IS LEARNER",
    "RAFT TERM",
    "RAFT INDEX",
    "RAFT APPLIED INDEX",
    "LEADER",
    "ERRORS",
  ];
  process.stdout.write(
    o.writeOut === "simple" ? rows.map((r) => `${r.join(", ")}\n`).join("") : renderTable(header, rows),
  );
  return undefined;
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
