// Shared helpers of the transport tests: message builders, transports that are closed after
// each test, and a condition waiter driven by events (never by sleeping).

import type { Message, MessageType, NodeId } from "../../src/raft/types.js";
import { GrpcTransport, type GrpcTransportOptions, type Logger } from "../../src/transport/index.js";

export const CLUSTER = 0xc1;

export function msg(fields: Partial<Message> & { from: NodeId; to: NodeId }): Message {
  return {
    type: "heartbeat" as MessageType,
    clusterId: CLUSTER,
    term: 1,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: null,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
    ...fields,
  };
}

/** An append of `count` entries of `bytes` bytes each, after index `index`. */
export function append(from: NodeId, to: NodeId, index: number, count = 1, bytes = 16): Message {
  const entries = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      term: 1,
      index: index + 1 + i,
      type: "normal" as const,
      data: Buffer.alloc(bytes, (index + i) & 0xff),
    });
  }
  return msg({ type: "app", from, to, index, logTerm: 1, entries, commit: index });
}

/**
 * Re-evaluates conditions whenever notify() is called (wire it to the transports' callbacks);
 * a condition that does not hold by its deadline fails the test with its description.
 */
export class Waiter {
  #pending: { cond: () => boolean; resolve: () => void }[] = [];

  notify = (): void => {
    const still = [];
    for (const p of this.#pending) {
      if (p.cond()) p.resolve();
      else still.push(p);
    }
    this.#pending = still;
  };

  until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#pending = this.#pending.filter((p) => p !== entry);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`));
      }, timeoutMs);
      this.#pending.push(entry);
    });
  }
}

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  obj: object;
  msg: string;
}

export function recordingLogger(lines: LogLine[], onLine: () => void): Logger {
  const at =
    (level: LogLine["level"]) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg: msg ?? "" });
      onLine();
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A member under test: its transport, what it received, and the log it wrote. */
export interface Member {
  id: NodeId;
  transport: GrpcTransport;
  port: number;
  url: string;
  received: Message[];
  unreachable: NodeId[];
  log: LogLine[];
}

export class Harness {
  readonly waiter = new Waiter();
  readonly #open: GrpcTransport[] = [];

  async member(id: NodeId, overrides: Partial<GrpcTransportOptions> = {}, port = 0): Promise<Member> {
    const received: Message[] = [];
    const unreachable: NodeId[] = [];
    const log: LogLine[] = [];
    const notify = this.waiter.notify;
    const transport = new GrpcTransport({
      clusterId: CLUSTER,
      memberId: id,
      name: `m${id}`,
      listen: `127.0.0.1:${port}`,
      logger: recordingLogger(log, notify),
      onMessages: (msgs) => {
        received.push(...msgs);
        notify();
      },
      onSnapshot: async (_m, chunks) => {
        for await (const _ of chunks);
      },
      onUnreachable: (peer) => {
        unreachable.push(peer);
        notify();
      },
      onPeerStateChange: notify,
      ...overrides,
    });
    this.#open.push(transport);
    const bound = await transport.start();
    return {
      id,
      transport,
      port: bound.port,
      url: `http://127.0.0.1:${bound.port}`,
      received,
      unreachable,
      log,
    };
  }

  /** Makes every member a peer of every other. */
  connect(...members: Member[]): void {
    for (const a of members) for (const b of members) if (a !== b) a.transport.addPeer(b.id, b.url);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((t) => t.close()));
  }
}
