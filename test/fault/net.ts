// The network a fault run's nodes talk over, and the faults it can inject. Two implementations:
// LoopbackProxyNet (proxy.ts: a TCP proxy on every directed peer link, unprivileged) and
// NamespaceNet (netns.ts: a network namespace per node, veth links, root only).

/** How one node is addressed and started. */
export interface NodeAddressing {
  readonly name: string;
  readonly listenClient: string;
  readonly listenPeer: string;
  readonly listenMetrics: string;
  /** Where the test process reaches the node's client API. */
  readonly clientEndpoint: string;
  /** This node's --peers: how it reaches every other member. */
  readonly peers: string;
  /** Prepended to the node's command line (e.g. `ip netns exec <ns>`). */
  readonly spawnPrefix: readonly string[];
}

/**
 * hang: packets are silently lost (connections stall; a real partition).
 * drop: connections are refused or reset (the peer is plainly unreachable).
 */
export type CutMode = "hang" | "drop";

/** A directed link "from>to" between node indexes. */
export function linkId(from: number, to: number): string {
  return `${from}>${to}`;
}

export interface NetFaults {
  /** Links not listed are healed. */
  readonly cut: ReadonlySet<string>;
  readonly mode: CutMode;
  /** Added latency on every link (proxy only). */
  readonly delayMs: number;
}

export const HEALED: NetFaults = { cut: new Set(), mode: "hang", delayMs: 0 };

export interface FaultNet {
  readonly kind: "proxy" | "netns";
  /** Whether delayMs is honoured. */
  readonly canDelay: boolean;
  readonly nodes: readonly NodeAddressing[];
  apply(faults: NetFaults): Promise<void>;
  /** Heals everything and releases every resource (idempotent). */
  close(): Promise<void>;
  /** Synchronous last-resort cleanup at process exit. */
  closeSync(): void;
  /** A line of counters for the run summary. */
  describe(): string;
}
