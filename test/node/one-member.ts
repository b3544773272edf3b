// One in-process member alone, for node tests: its config on a fresh data dir, a client, and the
// log lines it writes (parsed), so a test can wait on what the member reports.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { EtcdClient } from "../../src/client/index.js";
import { DEFAULTS, type NodeConfig } from "../../src/node/config.js";
import { ID_SERIALIZERS } from "../../src/node/logger.js";
import { type RunningNode, startNode } from "../../src/node/server.js";
import { waitFor } from "../cluster/harness.js";

export interface LogRecord {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export class OneMember {
  readonly dir = mkdtempSync(join(tmpdir(), "raftkv-one-member-"));
  readonly logs: LogRecord[] = [];
  running: RunningNode | null = null;
  client: EtcdClient | null = null;

  /** Starts (or starts again, on the same data dir) the member; resolves once it leads. */
  async start(limits: Partial<NodeConfig> = {}): Promise<RunningNode> {
    const logs = this.logs;
    const logger = pino(
      { level: "info", serializers: ID_SERIALIZERS },
      { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) },
    );
    const config: NodeConfig = {
      ...DEFAULTS,
      name: "n1",
      dataDir: join(this.dir, "n1"),
      listenClient: "127.0.0.1:0",
      listenPeer: "127.0.0.1:0",
      listenMetrics: "",
      advertiseClient: "127.0.0.1:0",
      advertisePeer: "127.0.0.1:0",
      peers: new Map([["n1", "127.0.0.1:0"]]),
      logLevel: "info",
      ...limits,
    };
    const running = await startNode(config, { logger, version: "test" });
    this.running = running;
    this.client = new EtcdClient([`127.0.0.1:${running.clientPort}`], { timeoutMs: 10_000 });
    await waitFor("a leader", () => running.node.raft.role === "leader");
    return running;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.running?.close();
    this.client = null;
    this.running = null;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
