// Network namespaces: each node runs in a namespace of its own (root only), joined to every other
// node by a veth pair, and to the root namespace (where the test's clients run) by one more.
//
// Every node has an identity address 10.233.0.<i+1> on its loopback and every namespace routes each
// peer's identity address over the pair's own veth, so all nodes share one --peers list (no
// member-table caveat, unlike the proxy) and traffic between two nodes can only take their link.
// Faults rewrite those routes in the sender's namespace:
//   hang: via a neighbour with a made-up MAC address: frames leave and are discarded by the peer's
//         veth (not addressed to it): silent loss, TCP retransmits, connections stall.
//   drop: an `unreachable` route: sends fail at once with EHOSTUNREACH.
// A cut here is at the IP level: cutting i→j also loses i's TCP acknowledgements of j's
// connections, unlike the proxy's message-level one-way cut. There is no netem in every kernel,
// so added delay is not offered.

import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { type CutMode, type FaultNet, linkId, type NetFaults, type NodeAddressing } from "./net.js";

const run = promisify(execFile);
const BLACKHOLE_NEIGHBOUR = "10.233.255.254";
const CLIENT_PORT = 2379;
const PEER_PORT = 2380;
const METRICS_PORT = 2381;

async function ip(args: readonly string[]): Promise<void> {
  try {
    await run("ip", [...args], { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${e.stderr?.trim() || e.message}`);
  }
}

function identity(i: number): string {
  return `10.233.0.${i + 1}`;
}

/** Removes namespaces left behind by runs whose process is gone (named rkv<pid>n<i>). */
async function removeStale(): Promise<void> {
  let list = "";
  try {
    list = (await run("ip", ["netns", "list"])).stdout;
  } catch {
    return;
  }
  for (const line of list.split("\n")) {
    const m = /^(rkv(\d+)n\d+)\b/.exec(line.trim());
    if (m === null) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await ip(["netns", "del", m[1]!]).catch(() => {});
  }
}

export class NamespaceNet implements FaultNet {
  readonly kind = "netns" as const;
  readonly canDelay = false;
  readonly nodes: NodeAddressing[] = [];
  readonly #namespaces: string[] = [];
  readonly #rootLinks: string[] = [];
  /** Current route state of each directed link. */
  readonly #state = new Map<string, CutMode | null>();
  #changes = 0;
  #closed = false;

  private constructor() {}

  /** Why namespaces cannot be used here, or null when they can. */
  static async unavailable(): Promise<string | null> {
    if (process.platform !== "linux") return "not Linux";
    if (process.getuid?.() !== 0) return "not root";
    const probe = `rkv${process.pid}probe`;
    try {
      await ip(["netns", "add", probe]);
      await ip([
        "link",
        "add",
        "name",
        "a",
        "netns",
        probe,
        "type",
        "veth",
        "peer",
        "name",
        "b",
        "netns",
        probe,
      ]);
    } catch (err) {
      return `ip netns / veth do not work: ${(err as Error).message}`;
    } finally {
      await ip(["netns", "del", probe]).catch(() => {});
    }
    return null;
  }

  static async start(names: readonly string[]): Promise<NamespaceNet> {
    await removeStale();
    const net = new NamespaceNet();
    try {
      await net.#build(names);
    } catch (err) {
      await net.close();
      throw err;
    }
    return net;
  }

  async #build(names: readonly string[]): Promise<void> {
    const tag = `rkv${process.pid}`;
    const subnet = `10.232.${process.pid % 250}`;
    const n = names.length;
    for (let i = 0; i < n; i++) {
      const ns = `${tag}n${i}`;
      await ip(["netns", "add", ns]);
      this.#namespaces.push(ns);
      await ip(["-n", ns, "link", "set", "lo", "up"]);
      await ip(["-n", ns, "addr", "add", `${identity(i)}/32`, "dev", "lo"]);
      const root = `${tag}c${i}`;
      await ip(["link", "add", "name", root, "type", "veth", "peer", "name", "cl", "netns", ns]);
      this.#rootLinks.push(root);
      await ip(["addr", "add", `${subnet}.${4 * i + 1}/30`, "dev", root]);
      await ip(["link", "set", root, "up"]);
      await ip(["-n", ns, "addr", "add", `${subnet}.${4 * i + 2}/30`, "dev", "cl"]);
      await ip(["-n", ns, "link", "set", "cl", "up"]);
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const [a, b] = [this.#namespaces[i]!, this.#namespaces[j]!];
        await ip([
          "link",
          "add",
          "name",
          `p${j}`,
          "netns",
          a,
          "type",
          "veth",
          "peer",
          "name",
          `p${i}`,
          "netns",
          b,
        ]);
        for (const [ns, dev] of [
          [a, `p${j}`],
          [b, `p${i}`],
        ] as const) {
          await ip(["-n", ns, "link", "set", dev, "up"]);
          await ip(
            ["-n", ns, "neigh", "replace", BLACKHOLE_NEIGHBOUR, "lladdr", "02:00:00:00:00:01"].concat([
              "dev",
              dev,
              "nud",
              "permanent",
            ]),
          );
        }
        await this.#route(i, j, null);
        await this.#route(j, i, null);
      }
    }
    const peers = names.map((name, i) => `${name}=${identity(i)}:${PEER_PORT}`).join(",");
    for (let i = 0; i < n; i++) {
      const addr = `${subnet}.${4 * i + 2}`;
      this.nodes.push({
        name: names[i]!,
        listenClient: `${addr}:${CLIENT_PORT}`,
        listenPeer: `${identity(i)}:${PEER_PORT}`,
        listenMetrics: `${addr}:${METRICS_PORT}`,
        clientEndpoint: `${addr}:${CLIENT_PORT}`,
        peers,
        spawnPrefix: ["ip", "netns", "exec", this.#namespaces[i]!],
      });
    }
  }

  async #route(from: number, to: number, cut: CutMode | null): Promise<void> {
    const ns = this.#namespaces[from]!;
    const dst = `${identity(to)}/32`;
    const dev = `p${to}`;
    const src = ["src", identity(from)];
    if (cut === null) await ip(["-n", ns, "route", "replace", dst, "dev", dev, ...src]);
    else if (cut === "hang")
      await ip(["-n", ns, "route", "replace", dst, "via", BLACKHOLE_NEIGHBOUR, "dev", dev, "onlink", ...src]);
    else await ip(["-n", ns, "route", "replace", "unreachable", dst]);
    this.#state.set(linkId(from, to), cut);
  }

  async apply(f: NetFaults): Promise<void> {
    const n = this.#namespaces.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const want = f.cut.has(linkId(i, j)) ? f.mode : null;
        if ((this.#state.get(linkId(i, j)) ?? null) === want) continue;
        await this.#route(i, j, want);
        this.#changes++;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const ns of this.#namespaces) await ip(["netns", "del", ns]).catch(() => {});
    for (const dev of this.#rootLinks) await ip(["link", "del", dev]).catch(() => {});
  }

  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const ns of this.#namespaces) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {}
    }
  }

  describe(): string {
    return `network namespaces: ${this.#namespaces.length}, route changes ${this.#changes}`;
  }
}
