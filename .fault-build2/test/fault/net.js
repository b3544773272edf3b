// The network a fault run's nodes talk over, and the faults it can inject. Two implementations:
// LoopbackProxyNet (proxy.ts: a TCP proxy on every directed peer link, unprivileged) and
// NamespaceNet (netns.ts: a network namespace per node, veth links, root only).
/** A directed link "from>to" between node indexes. */
export function linkId(from, to) {
    return `${from}>${to}`;
}
export const HEALED = { cut: new Set(), mode: "hang", delayMs: 0 };
//# sourceMappingURL=net.js.map