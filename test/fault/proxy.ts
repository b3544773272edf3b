// A fault-injecting TCP proxy on every directed peer link, over loopback, in the test process.
//
// Raft traffic from node i to node j travels on connections that i opens to j (the transport's
// client stream carries i's messages; the server side only answers it). So each node is told, in
// its own --peers, to reach j at the listener of link i→j, which forwards to j's real peer port.
// Cutting link i→j therefore loses i's messages to j and nothing else: a one-way partition at the
// message level; cutting both i→j and j→i is a full partition between the two.
//
// hang: both directions of the link's connections stop being read (bytes wait in the kernel,
// as when packets are lost and TCP keeps retransmitting); new connections are accepted and stall.
// On heal the bytes flow again: late, never corrupted. drop: every connection is reset at once
// and new ones are closed as soon as they arrive. delay: every chunk is held for delayMs, in order.
//
// Caveat: the member table travels inside a Raft snapshot, so a node that installed a snapshot
// and then restarts reaches its peers at the leader's link listeners. Runs keep
// --snapshot-catchup-entries large so installs are rare; the summary counts them.

import { connect, createServer, type Server, type Socket } from "node:net";
import { type CutMode, type FaultNet, linkId, type NetFaults, type NodeAddressing } from "./net.js";

interface LinkState {
  cut: CutMode | null;
  delayMs: number;
}

/** One direction of a proxied connection: reads `src`, writes `dst`, honouring the link state. */
class Flow {
  readonly #src: Socket;
  readonly #dst: Socket;
  readonly #state: LinkState;
  readonly #queue: { at: number; chunk: Buffer }[] = [];
  #timer: NodeJS.Timeout | null = null;
  #backpressure = false;
  bytes = 0;

  constructor(src: Socket, dst: Socket, state: LinkState) {
    this.#src = src;
    this.#dst = dst;
    this.#state = state;
    src.on("data", (chunk: Buffer) => this.#onData(chunk));
    dst.on("drain", () => {
      this.#backpressure = false;
      this.update();
    });
  }

  #onData(chunk: Buffer): void {
    this.bytes += chunk.length;
    const delay = this.#state.delayMs;
    if (delay <= 0 && this.#queue.length === 0) {
      this.#write(chunk);
      return;
    }
    const last = this.#queue.at(-1)?.at ?? 0;
    this.#queue.push({ at: Math.max(Date.now() + delay, last), chunk });
    this.#schedule();
  }

  #write(chunk: Buffer): void {
    if (this.#dst.destroyed) return;
    if (!this.#dst.write(chunk)) {
      this.#backpressure = true;
      this.update();
    }
  }

  #schedule(): void {
    if (this.#timer !== null || this.#queue.length === 0 || this.#state.cut === "hang") return;
    const wait = Math.max(0, this.#queue[0]!.at - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0]!.at <= now && this.#state.cut !== "hang") {
        this.#write(this.#queue.shift()!.chunk);
      }
      this.#schedule();
    }, wait);
  }

  /** Re-reads the link state: pause or resume reading. */
  update(): void {
    if (this.#src.destroyed) return;
    if (this.#state.cut === "hang" || this.#backpressure) this.#src.pause();
    else {
      this.#src.resume();
      this.#schedule();
    }
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
  }
}

class Link {
  readonly from: number;
  readonly to: number;
  readonly state: LinkState = { cut: null, delayMs: 0 };
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #conns = new Set<{ client: Socket; upstream: Socket; flows: Flow[] }>();
  accepted = 0;
  reset = 0;
  bytes = 0;
  port = 0;

  constructor(from: number, to: number, targetPort: number) {
    this.from = from;
    this.to = to;
    this.#targetPort = targetPort;
    this.#server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
    this.#server.on("error", () => {});
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => {
        const addr = this.#server.address();
        this.port = typeof addr === "object" && addr !== null ? addr.port : 0;
        resolve(this.port);
      });
    });
  }

  #accept(client: Socket): void {
    this.accepted++;
    client.on("error", () => {});
    if (this.state.cut === "drop") {
      this.reset++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: "127.0.0.1", port: this.#targetPort });
    upstream.on("error", () => {});
    const conn = {
      client,
      upstream,
      flows: [new Flow(client, upstream, this.state), new Flow(upstream, client, this.state)],
    };
    this.#conns.add(conn);
    const close = (): void => {
      if (!this.#conns.delete(conn)) return;
      for (const f of conn.flows) {
        this.bytes += f.bytes;
        f.close();
      }
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    for (const f of conn.flows) f.update();
  }

  set(cut: CutMode | null, delayMs: number): void {
    this.state.cut = cut;
    this.state.delayMs = delayMs;
    if (cut === "drop") {
      for (const c of [...this.#conns]) {
        this.reset++;
        c.client.resetAndDestroy();
        c.upstream.resetAndDestroy();
      }
    }
    for (const c of this.#conns) for (const f of c.flows) f.update();
  }

  close(): Promise<void> {
    for (const c of [...this.#conns]) {
      c.client.destroy();
      c.upstream.destroy();
    }
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export interface ProxyNetPorts {
  readonly client: number;
  readonly peer: number;
  readonly metrics: number;
}

export class LoopbackProxyNet implements FaultNet {
  readonly kind = "proxy" as const;
  readonly canDelay = true;
  readonly nodes: NodeAddressing[] = [];
  readonly #links = new Map<string, Link>();
  #closed = false;

  private constructor() {}

  /** Opens a listener for every directed link between `names` (ports: each node's real ones). */
  static async start(names: readonly string[], ports: readonly ProxyNetPorts[]): Promise<LoopbackProxyNet> {
    const net = new LoopbackProxyNet();
    const n = names.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const link = new Link(i, j, ports[j]!.peer);
        await link.listen();
        net.#links.set(linkId(i, j), link);
      }
    }
    for (let i = 0; i < n; i++) {
      const peers = names.map((name, j) =>
        i === j
          ? `${name}=127.0.0.1:${ports[j]!.peer}`
          : `${name}=127.0.0.1:${net.#links.get(linkId(i, j))!.port}`,
      );
      net.nodes.push({
        name: names[i]!,
        listenClient: `127.0.0.1:${ports[i]!.client}`,
        listenPeer: `127.0.0.1:${ports[i]!.peer}`,
        listenMetrics: `127.0.0.1:${ports[i]!.metrics}`,
        clientEndpoint: `127.0.0.1:${ports[i]!.client}`,
        peers: peers.join(","),
        spawnPrefix: [],
      });
    }
    return net;
  }

  async apply(f: NetFaults): Promise<void> {
    for (const [id, link] of this.#links) link.set(f.cut.has(id) ? f.mode : null, f.delayMs);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#links.values()].map((l) => l.close()));
  }

  closeSync(): void {
    // Listeners die with the process.
  }

  describe(): string {
    let accepted = 0;
    let reset = 0;
    for (const l of this.#links.values()) {
      accepted += l.accepted;
      reset += l.reset;
    }
    return `proxy links: ${this.#links.size}, connections accepted ${accepted}, reset by faults ${reset}`;
  }
}
