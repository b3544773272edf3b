// Stable identifiers derived from configuration, so every member computes the same values
// without coordination (as etcd derives member and cluster IDs from URLs and the token).

import { createHash } from "node:crypto";
import { idHex } from "../raft/index.js";

/** A non-zero integer below 2^53 from a SHA-256 of the parts. */
function hash53(parts: readonly string[]): number {
  const digest = createHash("sha256").update(parts.join("\u0000")).digest();
  const id = Number(digest.readBigUInt64BE(0) & ((1n << 53n) - 1n));
  return id === 0 ? 1 : id;
}

/** A member's ID: from the cluster token and its name, so a restarted pod keeps its ID. */
export function memberIdOf(clusterToken: string, name: string): number {
  return hash53(["member", clusterToken, name]);
}

/** The cluster's ID: from the token and the initial members' names. */
export function clusterIdOf(clusterToken: string, initialNames: readonly string[]): number {
  return hash53(["cluster", clusterToken, ...[...initialNames].sort()]);
}

/** An ID as etcd writes it: 16 lowercase hex digits. The one format for logs, errors and the CLI. */
export function hex(id: number | bigint): string {
  return idHex(id);
}
