// `raftkv snapshot status FILE` and `raftkv snapshot restore FILE …`: the backup files that
// `etcdctl snapshot save` writes from a raftkv member (raftkv's format, not etcd's bbolt database,
// so etcdctl's own `snapshot status` and `snapshot restore` cannot read them).

import { type Command, Option } from "commander";
import { ConfigError, DEFAULTS, parsePeers } from "../node/config.js";
import { restoreSnapshot, snapshotStatus } from "../node/restore.js";

function fail(message: string, exitCode: number): never {
  throw Object.assign(new Error(message), { exitCode });
}

/**
 * A subcommand option the top-level server options may have taken when given after the
 * subcommand (same flag name): the subcommand's own value, else the program's when set on the
 * command line.
 */
function optionValue(cmd: Command, key: string): string | undefined {
  const own = cmd.opts()[key] as string | undefined;
  if (own !== undefined) return own;
  let parent = cmd.parent;
  while (parent !== null) {
    if (parent.getOptionValueSource(key) === "cli" || parent.getOptionValueSource(key) === "env")
      return parent.opts()[key] as string | undefined;
    parent = parent.parent;
  }
  return undefined;
}

export function addSnapshotCommands(program: Command): void {
  const snapshot = program
    .command("snapshot")
    .description("check a backup file, or build a new cluster's data dirs from one");

  snapshot
    .command("status")
    .description("revision, keys, hash, size and format version of a file saved by `etcdctl snapshot save`")
    .argument("<file>", "the saved snapshot")
    .addOption(
      new Option("-w, --write-out <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .action(async (file: string, opts: { writeOut: string }) => {
      let status: Awaited<ReturnType<typeof snapshotStatus>>;
      try {
        status = await snapshotStatus(file);
      } catch (err) {
        fail((err as Error).message, 1);
      }
      if (opts.writeOut === "json") {
        process.stdout.write(`${JSON.stringify(status)}\n`);
        return;
      }
      const rows = [
        ["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE", "VERSION"],
        [status.hash, status.revision, status.totalKey, status.totalSize, status.version].map(String),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      const line = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
      const row = (r: string[]) => `|${r.map((c, i) => ` ${c.padStart(widths[i]!)} `).join("|")}|`;
      process.stdout.write(`${[line, row(rows[0]!), line, row(rows[1]!), line].join("\n")}\n`);
    });

  snapshot
    .command("restore")
    .description(
      "build a new member's data dir from a saved snapshot (a new cluster: run it for every member with the same --peers and --cluster-token, then start each with those flags)",
    )
    .argument("<file>", "the saved snapshot")
    .addOption(new Option("--name <name>", "this member's name in the new cluster"))
    .addOption(new Option("--peers <name=host:port,...>", "every member of the new cluster"))
    .addOption(new Option("--data-dir <dir>", "the data dir to create (must not exist)"))
    .addOption(new Option("--cluster-token <token>", "the new cluster's token (use a new one)"))
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const name = optionValue(cmd, "name");
      const peersFlag = optionValue(cmd, "peers");
      const dataDir = optionValue(cmd, "dataDir");
      const missing = [
        name === undefined ? "--name" : null,
        peersFlag === undefined ? "--peers" : null,
        dataDir === undefined ? "--data-dir" : null,
      ].filter((m) => m !== null);
      if (missing.length > 0) fail(`snapshot restore needs ${missing.join(", ")}`, 2);
      let peers: Map<string, string>;
      try {
        peers = parsePeers(peersFlag!);
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message, 2);
        throw err;
      }
      try {
        const result = await restoreSnapshot({
          file,
          name: name!,
          dataDir: dataDir!,
          peers,
          clusterToken: optionValue(cmd, "clusterToken") ?? DEFAULTS.clusterToken,
        });
        process.stdout.write(
          `restored revision ${result.revision} (${result.keys} keys) into ${dataDir}: member ${result.memberId} of new cluster ${result.clusterId}\n`,
        );
      } catch (err) {
        fail((err as Error).message, 1);
      }
    });
}
