// Test doubles and fixtures for the client API: a configurable stub backend (no state machine) and
// a server + client pair on a loopback port, closed after each test.

import { type Logger, pino } from "pino";
import { Registry } from "prom-client";
import type { ApiBackend, KvReader, Member, NodeStatus, ProposalKind } from "../../src/api/backend.js";
import { type ClientServer, type ClientServerOptions, startClientServer } from "../../src/api/server.js";
import { EtcdClient } from "../../src/client/index.js";
import type { RangeRequest, RangeResponse } from "../../src/kv/types.js";

export const CLUSTER_ID = 0x1234_5678_9abc;
export const MEMBER_ID = 0x0abc_def0_1234;

/** A logger that keeps what it logs, so tests can check that unexpected errors are logged. */
export function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
  return { logger, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export interface Proposal {
  kind: ProposalKind;
  req: object;
  encoded: Buffer | undefined;
}

/** A backend whose every answer a test may replace; records proposals. */
export class StubBackend implements ApiBackend {
  readonly clusterId = CLUSTER_ID;
  readonly memberId = MEMBER_ID;
  term = 7;
  isReady = true;
  revision = 1;
  proposals: Proposal[] = [];
  barriers = 0;
  onPropose: (kind: ProposalKind, req: object) => Promise<object> = async () => ({});
  onBarrier: () => Promise<void> = async () => {};
  onRange: (req: RangeRequest) => RangeResponse = () => ({ kvs: [], more: false, count: 0 });
  onMoveLeader: (target: number) => Promise<void> = async () => {};
  hash = 0xdeadbeef;
  snapshotChunks: Buffer[] = [Buffer.from("snap-1"), Buffer.from("snap-2")];
  memberList: Member[] = [
    {
      id: MEMBER_ID,
      name: "n1",
      peerURLs: ["http://127.0.0.1:2380"],
      clientURLs: ["http://127.0.0.1:2379"],
      isLearner: false,
    },
  ];

  readonly kv = new StubKv(this);

  raftTerm(): number {
    return this.term;
  }
  propose(kind: ProposalKind, req: object, encoded?: Buffer): Promise<object> {
    this.proposals.push({ kind, req, encoded });
    return this.onPropose(kind, req);
  }
  readBarrier(): Promise<void> {
    this.barriers++;
    return this.onBarrier();
  }
  members(): Member[] {
    return this.memberList;
  }
  status(): NodeStatus {
    return {
      leader: this.isReady ? MEMBER_ID : 0,
      raftIndex: 42,
      raftTerm: this.term,
      raftAppliedIndex: 41,
      dbSize: 4096,
      version: "3.4.0",
      isLearner: false,
      errors: this.isReady ? [] : ["etcdserver: no leader"],
    };
  }
  moveLeader(target: number): Promise<void> {
    return this.onMoveLeader(target);
  }
  async *snapshot(): AsyncIterable<Buffer> {
    for (const chunk of this.snapshotChunks) yield chunk;
  }
  ready(): boolean {
    return this.isReady;
  }
}

class StubKv implements KvReader {
  readonly #backend: StubBackend;
  constructor(backend: StubBackend) {
    this.#backend = backend;
  }
  get revision(): number {
    return this.#backend.revision;
  }
  get compactedRevision(): number {
    return 0;
  }
  range(req: RangeRequest): RangeResponse {
    return this.#backend.onRange(req);
  }
  rangeAt(req: RangeRequest): Promise<RangeResponse> {
    return Promise.resolve(this.#backend.onRange(req));
  }
  hashKV(): number {
    return this.#backend.hash;
  }
}

export interface Served {
  server: ClientServer;
  endpoint: string;
  client: EtcdClient;
  registry: Registry;
  close(): Promise<void>;
}

/** Starts the client API over `backend` on 127.0.0.1:0 with a client connected to it. */
export async function serve(
  backend: ApiBackend,
  options: Partial<ClientServerOptions> = {},
): Promise<Served> {
  const registry = options.registry ?? new Registry();
  const server = await startClientServer({
    backend,
    listen: "127.0.0.1:0",
    logger: options.logger ?? pino({ level: "silent" }),
    registry,
    ...options,
  });
  const endpoint = `127.0.0.1:${server.port}`;
  const client = new EtcdClient([endpoint], { timeoutMs: 5000 });
  return {
    server,
    endpoint,
    client,
    registry,
    close: async () => {
      client.close();
      await server.close(false);
    },
  };
}
