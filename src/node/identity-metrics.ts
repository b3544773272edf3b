// Who this member is, in /metrics: member and cluster IDs as labels, written as everywhere else
// (16 hex digits, ./ids.ts), so a metric, a log line and `raftkv members` can be matched by grep.

import { Gauge, type Registry } from "prom-client";
import { hex } from "./ids.js";

export interface IdentitySource {
  readonly name: string;
  readonly memberId: number;
  readonly clusterId: number;
  readonly raft: { readonly leaderId: number };
}

export function registerIdentityMetrics(registry: Registry, node: IdentitySource): void {
  const info = new Gauge({
    name: "raftkv_server_info",
    help: "This member: its ID, its cluster's ID and its name (value 1).",
    labelNames: ["member_id", "cluster_id", "name"] as const,
    registers: [registry],
  });
  info.set({ member_id: hex(node.memberId), cluster_id: hex(node.clusterId), name: node.name }, 1);
  new Gauge({
    name: "raftkv_server_leader_id",
    help: "The leader this member knows (label leader_id; 0000000000000000 for none), value 1.",
    labelNames: ["leader_id"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ leader_id: hex(node.raft.leaderId) }, 1);
    },
  });
}
