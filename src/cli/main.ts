#!/usr/bin/env node
// `raftkv`: runs a node (the default command), a small etcd-style client (put, get, del, txn,
// members, status), a local development cluster (dev) and the benchmark (bench).

import { Command, CommanderError, Option } from "commander";
import { ETCD_API_VERSION } from "../api/version.js";
import { ConfigError } from "../node/config.js";
import { addClientCommands } from "./client-commands.js";
import { runDevCluster } from "./dev.js";
import { addMemberCommands } from "./member-commands.js";
import { runServer, serverOptions } from "./server.js";
import { addSnapshotCommands } from "./snapshot-commands.js";

export const VERSION = "0.1.0";

function main(argv: string[]): void {
  const program = new Command("raftkv")
    .description("A Raft-replicated, linearizable key-value store speaking the etcd v3 API")
    .version(`raftkv ${VERSION} (etcd API ${ETCD_API_VERSION})`)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  for (const opt of serverOptions()) program.addOption(opt);
  program.action(async (opts: Record<string, unknown>, cmd: Command) => {
    // Which options were given (flag or RAFTKV_* variable), not defaulted: a restart fills the
    // others in from the data dir.
    const given = new Set(
      Object.keys(opts).filter((k) => ["cli", "env"].includes(cmd.getOptionValueSource(k) ?? "")),
    );
    await runServer(opts, VERSION, given);
  });

  addClientCommands(program);
  addMemberCommands(program);
  addSnapshotCommands(program);

  program
    .command("dev")
    .description("run a local cluster on 127.0.0.1 in this terminal, logs prefixed by node")
    .addOption(new Option("--nodes <n>", "number of nodes").default("3"))
    .addOption(
      new Option(
        "--base-port <port>",
        "node i (from 0) listens on base+10i (clients), base+10i+1 (peers), base+10i+2 (metrics)",
      ).default("2379"),
    )
    .addOption(
      new Option("--data-dir <dir>", "parent directory of the nodes' data dirs").default("./raftkv-dev"),
    )
    .action(async (opts: { nodes: string; basePort: string; dataDir: string }) => {
      await runDevCluster(opts);
    });

  program
    .command("bench")
    .description("load generator for any etcd v3 endpoints (raftkv or etcd)")
    .allowUnknownOption(false)
    .addOption(
      new Option("--endpoints <list>", "comma-separated host:port")
        .env("RAFTKV_ENDPOINTS")
        .default("127.0.0.1:2379"),
    )
    .addOption(new Option("--op <op>", "operation").choices(["put", "range", "txn"]).default("put"))
    .addOption(new Option("--clients <n>", "concurrent clients").default("64"))
    .addOption(new Option("--conns <n>", "gRPC connections shared by the clients").default("8"))
    .addOption(new Option("--total <n>", "requests in all").default("20000"))
    .addOption(new Option("--duration <seconds>", "stop after this long instead of --total"))
    .addOption(new Option("--key-size <bytes>", "key size").default("8"))
    .addOption(new Option("--val-size <bytes>", "value size").default("256"))
    .addOption(new Option("--key-space <n>", "distinct keys").default("10000"))
    .addOption(new Option("--consistency <c>", "range consistency").choices(["l", "s"]).default("l"))
    .option("--json", "print the result as JSON")
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      // Loaded on use: the load generator's histograms (hdr-histogram-js) alone cost every server
      // process about 17 MiB of RSS and 100 ms at start.
      const { runBench } = await import("./bench.js");
      await runBench(opts);
    });

  // Options of the server (the program) are read before a sub-command's name only, so that
  // `raftkv dev --data-dir d` is dev's --data-dir. Set last: sub-commands keep parsing their
  // parent's options anywhere (`raftkv members add d --endpoints …`).
  program.enablePositionalOptions();

  program.parseAsync(argv).catch((err: unknown) => {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; a bad flag exits 2 (commander's message is already printed).
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    const e = err as Error & { exitCode?: number };
    process.stderr.write(`raftkv: ${e.message}\n`);
    // A bad flag value found after parsing (a ConfigError) is a usage error too.
    process.exit(e.exitCode ?? (err instanceof ConfigError ? 2 : 1));
  });
}

main(process.argv);
