// The initial peer list must describe one cluster without contradictions: every name once, every
// peer URL once, and this member's own entry equal to the address it advertises. A member started
// on a contradictory list would only wait forever for a leader; it refuses to start instead.

/** A contradiction in --peers, or null. `peers` maps names to host:port. */
export function peerListContradiction(
  name: string,
  peers: ReadonlyMap<string, string>,
  advertisePeer: string,
): string | null {
  const byAddress = new Map<string, string>();
  for (const [member, address] of peers) {
    const key = address.toLowerCase();
    const other = byAddress.get(key);
    if (other !== undefined) {
      return (
        `--peers: members "${other}" and "${member}" have the same peer URL ${address}; ` +
        "each member needs its own address"
      );
    }
    byAddress.set(key, member);
  }
  const own = peers.get(name);
  if (own !== undefined && own.toLowerCase() !== advertisePeer.toLowerCase()) {
    return (
      `--peers lists this member "${name}" at ${own}, but it advertises ${advertisePeer} ` +
      "(--advertise-peer, or --listen-peer when --advertise-peer is not given): the other members " +
      `could not reach it. Give the same address to both: --peers ${name}=${advertisePeer}, or ` +
      `--advertise-peer ${own}`
    );
  }
  return null;
}
