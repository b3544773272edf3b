// `raftkv members add | remove | promote`: membership changes, sent to the leader (found among
// --endpoints). A member is named by its name or its hex ID, as `raftkv members` prints them.
import { withClient } from "./client-commands.js";
function hex(id) {
    return BigInt(id).toString(16);
}
/** The ID of the member called `nameOrId` (its name, or its ID in hex as `raftkv members` shows). */
export async function resolveMember(client, nameOrId) {
    const { members } = await client.memberList();
    const byName = members.filter((m) => m.name === nameOrId);
    if (byName.length === 1)
        return Number(byName[0].ID);
    if (byName.length > 1)
        throw new Error(`more than one member is called "${nameOrId}"; give its hex ID`);
    if (/^[0-9a-f]{1,14}$/i.test(nameOrId)) {
        const id = Number.parseInt(nameOrId, 16);
        if (members.some((m) => Number(m.ID) === id))
            return id;
    }
    throw new Error(`no member "${nameOrId}" (run \`raftkv members\` to list them)`);
}
export function addMemberCommands(program) {
    const members = program.commands.find((c) => c.name() === "members");
    if (members === undefined)
        throw new Error("the members command must be defined first");
    // --endpoints, --timeout-ms and --json belong to `members` (commander parses a parent's options
    // wherever they appear): the subcommands read them from there.
    const common = () => members.opts();
    members
        .command("add <name>")
        .description("add a member; start it with --initial-cluster-state existing (it promotes itself)")
        .requiredOption("--peer-url <url>", "the new member's peer URL, e.g. http://raftkv-3.raftkv:2380")
        .option("--learner", "add it as a learner (recommended: promoted once caught up)")
        .action((name, local) => {
        const o = { ...common(), ...local };
        return withClient(o, async (c) => {
            const res = await c.memberAdd([o.peerUrl], { isLearner: o.learner === true, name });
            if (o.json)
                return res;
            const id = res.member?.ID ?? 0;
            const kind = o.learner ? "learner " : "";
            process.stdout.write(`Member ${hex(id)} (${kind}${name}) added to cluster ${hex(res.header?.clusterId ?? 0)}\n\n` +
                `RAFTKV_NAME="${name}"\nRAFTKV_INITIAL_CLUSTER_STATE="existing"\n` +
                `RAFTKV_JOIN="${c.endpoints.join(",")}"\n`);
            return undefined;
        });
    });
    members
        .command("remove <member>")
        .description("remove a member (name or hex ID); remove it before scaling down")
        .action((member) => withClient(common(), async (c) => {
        const id = await resolveMember(c, member);
        const res = await c.memberRemove(id);
        if (common().json)
            return res;
        process.stdout.write(`Member ${hex(id)} removed from cluster ${hex(res.header?.clusterId ?? 0)}\n`);
        return undefined;
    }));
    members
        .command("promote <member>")
        .description("promote a learner (name or hex ID) once it has caught up")
        .action((member) => withClient(common(), async (c) => {
        const id = await resolveMember(c, member);
        const res = await c.memberPromote(id);
        if (common().json)
            return res;
        process.stdout.write(`Member ${hex(id)} promoted in cluster ${hex(res.header?.clusterId ?? 0)}\n`);
        return undefined;
    }));
}
//# sourceMappingURL=member-commands.js.map