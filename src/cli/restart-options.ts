// A restart takes its identity from the data dir: name, cluster ID, member ID and peers are in the
// store, so `raftkv --data-dir DIR` is enough. Flags that only matter for an empty data dir
// (--peers, --cluster-token) are checked against the store when given: a contradiction is an
// error naming both values and the fix (exit code 3, as for a data dir of another member).

import { hostname } from "node:os";
import { ConfigError, DEFAULTS, hostPort } from "../node/config.js";
import { hex } from "../node/ids.js";
import { readStoredMember, type StoredMember } from "../node/stored-member.js";
import { isNoSpaceError } from "../storage/disk-space.js";

/** A flag contradicts the data dir. Exit code 3, as the data dir's own identity check. */
export class DataDirConflictError extends ConfigError {
  readonly exitCode = 3;
}

/** host:port of a stored URL, or null when it is not one. */
function addressOf(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    return hostPort(url, "stored URL").toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The server options with what the data dir says filled in where no flag was given, or a
 * DataDirConflictError where a given flag contradicts it. `given` holds the option keys set on the
 * command line or through a RAFTKV_* variable (not defaults).
 */
export function reconcileWithDataDir(
  o: Readonly<Record<string, unknown>>,
  given: ReadonlySet<string>,
  stored: StoredMember,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  const dir = stored.dataDir;
  const who = `member "${stored.name}" (ID ${hex(stored.memberId)}) of cluster ${hex(stored.clusterId)}`;

  const givenName = given.has("nameFromHostname")
    ? hostname().split(".")[0]!
    : given.has("name")
      ? String(o.name)
      : null;
  if (givenName !== null && givenName !== stored.name) {
    throw new DataDirConflictError(
      `data dir ${dir} belongs to member name "${stored.name}", not "${givenName}" (--name): ` +
        `start it with --name ${stored.name} or without --name (the data dir names it), ` +
        `or give "${givenName}" its own --data-dir`,
    );
  }
  out.name = stored.name;
  out.nameFromHostname = undefined;

  if (given.has("clusterToken") && stored.clusterToken !== undefined) {
    const token = String(o.clusterToken);
    if (token !== stored.clusterToken) {
      throw new DataDirConflictError(
        `--cluster-token "${token}" contradicts data dir ${dir}, created with --cluster-token ` +
          `"${stored.clusterToken}" (${who}): the token matters only for an empty data dir; ` +
          `drop --cluster-token or give "${stored.clusterToken}"`,
      );
    }
  }

  const known = new Map<string, string>();
  for (const m of stored.members.values()) {
    const at = addressOf(m.peerURLs[0]);
    if (m.name !== "" && at !== null) known.set(m.name, at);
  }
  const self = stored.members.get(stored.memberId);
  const selfPeer = addressOf(self?.peerURLs[0]);
  if (selfPeer !== null) known.set(stored.name, selfPeer);

  if (given.has("peers") && typeof o.peers === "string") {
    for (const part of o.peers.split(",")) {
      const eq = part.indexOf("=");
      if (eq <= 0) continue; // parsePeers reports it
      const name = part.slice(0, eq).trim();
      const at = addressOf(part.slice(eq + 1));
      const was = known.get(name);
      if (at !== null && was !== undefined && at !== was) {
        throw new DataDirConflictError(
          `--peers lists member "${name}" at ${at}, but data dir ${dir} (${who}) records it at ` +
            `${was}: --peers matters only for an empty data dir; drop --peers or give ${name}=${was}`,
        );
      }
    }
  } else if (known.size > 0 && !given.has("peersFromStatefulset")) {
    out.peers = [...known].map(([name, at]) => `${name}=${at}`).join(",");
  }

  if (selfPeer !== null) {
    if (given.has("advertisePeer")) {
      const at = addressOf(String(o.advertisePeer));
      if (at !== null && at !== selfPeer) {
        throw new DataDirConflictError(
          `--advertise-peer ${at} contradicts data dir ${dir}: the cluster knows ${who} at ` +
            `${selfPeer} (a member's peer URL does not change); give --advertise-peer ${selfPeer} or drop it`,
        );
      }
    } else if (!given.has("peersFromStatefulset")) {
      out.advertisePeer = selfPeer;
      if (!given.has("listenPeer")) out.listenPeer = selfPeer;
    }
  }
  const selfClient = addressOf(self?.clientURLs[0]);
  if (selfClient !== null && !given.has("listenClient") && !given.has("advertiseClient")) {
    out.listenClient = selfClient;
  }
  return out;
}

/** The server options, completed from (and checked against) the data dir when one exists. */
export async function withDataDir(
  o: Readonly<Record<string, unknown>>,
  given: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  const dataDir = String(o.dataDir ?? DEFAULTS.dataDir);
  let stored: StoredMember | null;
  try {
    stored = await readStoredMember(dataDir);
  } catch (err) {
    // A full disk can keep LevelDB from opening here: go on with the flags as given. The node's
    // own open waits for space (reporting it on /readyz) and checks the data dir's identity then.
    if (!isNoSpaceError(err)) throw err;
    process.stderr.write(`raftkv: ${dataDir}: no space left on device; starting from the flags given\n`);
    return { ...o };
  }
  return stored === null ? { ...o } : reconcileWithDataDir(o, given, stored);
}
