// `raftkv members add | remove | promote`: membership changes, sent to the leader (found among
// --endpoints). A member is named by its name or its hex ID, as `raftkv members` prints them.

import { type Command, Option } from "commander";
import type { EtcdClient } from "../client/index.js";
import { DEFAULTS, hostPort } from "../node/config.js";
import { hex } from "../node/ids.js";
import { type Common, wantsJson, withClient } from "./client-commands.js";

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.,:/=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The new member's client address: --client-url, or the peer host on the port below the peer's. */
function clientAddressOf(peerAddress: string, clientUrl: string | undefined): string {
  if (clientUrl !== undefined) return hostPort(clientUrl, "--client-url");
  const at = peerAddress.lastIndexOf(":");
  return `${peerAddress.slice(0, at)}:${Number(peerAddress.slice(at + 1)) - 1}`;
}

/** The command that starts a member just added: an empty data dir joins the running cluster. */
export function startCommand(o: {
  name: string;
  peerAddress: string;
  clientAddress: string;
  join: readonly string[];
  clusterToken: string;
}): string {
  return [
    "raftkv",
    "--name",
    o.name,
    "--listen-peer",
    o.peerAddress,
    "--listen-client",
    o.clientAddress,
    "--initial-cluster-state",
    "existing",
    "--join",
    o.join.join(","),
    "--cluster-token",
    o.clusterToken,
  ]
    .map(shellWord)
    .join(" ");
}

/** The ID of the member called `nameOrId` (its name, or its ID in hex as `raftkv members` shows). */
export async function resolveMember(client: EtcdClient, nameOrId: string): Promise<number> {
  const { members } = await client.memberList();
  const byName = members.filter((m) => m.name === nameOrId);
  if (byName.length === 1) return Number(byName[0]!.ID);
  if (byName.length > 1) throw new Error(`more than one member is called "${nameOrId}"; give its hex ID`);
  if (/^[0-9a-f]{1,16}$/i.test(nameOrId)) {
    const id = Number.parseInt(nameOrId, 16);
    if (members.some((m) => Number(m.ID) === id)) return id;
  }
  throw new Error(`no member "${nameOrId}" (run \`raftkv members\` to list them)`);
}

export function addMemberCommands(program: Command): void {
  const members = program.commands.find((c) => c.name() === "members");
  if (members === undefined) throw new Error("the members command must be defined first");
  // --endpoints, --timeout-ms and --json belong to `members` (commander parses a parent's options
  // wherever they appear): the subcommands read them from there.
  const common = (): Common => members.opts() as Common;

  members
    .command("add <name>")
    .description(
      "add a member and print the command that starts it (an empty data dir, " +
        "--initial-cluster-state existing; it promotes itself once caught up)",
    )
    .requiredOption("--peer-url <url>", "the new member's peer URL, e.g. http://raftkv-3.raftkv:2380")
    .option(
      "--client-url <url>",
      "the new member's client URL, for the printed command (default: the peer host, peer port - 1)",
    )
    .addOption(
      new Option("--cluster-token <token>", "the cluster's --cluster-token, for the printed command")
        .env("RAFTKV_CLUSTER_TOKEN")
        .default(DEFAULTS.clusterToken),
    )
    .option("--learner", "add it as a learner (recommended: promoted once caught up)")
    .action(
      (
        name: string,
        local: { peerUrl: string; clientUrl?: string; clusterToken: string; learner?: boolean },
      ) => {
        const o = { ...common(), ...local };
        const peerAddress = hostPort(o.peerUrl, "--peer-url");
        const clientAddress = clientAddressOf(peerAddress, o.clientUrl);
        return withClient(o, async (c) => {
          const res = await c.memberAdd([o.peerUrl], { isLearner: o.learner === true, name });
          if (wantsJson(o)) return res;
          const id = res.member?.ID ?? 0;
          const kind = o.learner ? "learner " : "";
          const command = startCommand({
            name,
            peerAddress,
            clientAddress,
            join: c.endpoints,
            clusterToken: o.clusterToken,
          });
          process.stdout.write(
            `Member ${hex(id)} (${kind}${name}) added to cluster ${hex(res.header?.clusterId ?? 0)}\n\n` +
              "Start it on its machine, with an empty data dir (--data-dir, default ./raftkv-data):\n\n" +
              `${command}\n`,
          );
          return undefined;
        });
      },
    );

  members
    .command("remove <member>")
    .description("remove a member (name or hex ID); remove it before scaling down")
    .action((member: string) =>
      withClient(common(), async (c) => {
        const id = await resolveMember(c, member);
        const res = await c.memberRemove(id);
        if (wantsJson(common())) return res;
        process.stdout.write(`Member ${hex(id)} removed from cluster ${hex(res.header?.clusterId ?? 0)}\n`);
        return undefined;
      }),
    );

  members
    .command("promote <member>")
    .description("promote a learner (name or hex ID) once it has caught up")
    .action((member: string) =>
      withClient(common(), async (c) => {
        const id = await resolveMember(c, member);
        const res = await c.memberPromote(id);
        if (wantsJson(common())) return res;
        process.stdout.write(`Member ${hex(id)} promoted in cluster ${hex(res.header?.clusterId ?? 0)}\n`);
        return undefined;
      }),
    );
}
