// A node's configuration, parsed and checked in one place. The CLI maps flags and RAFTKV_*
// variables onto it; tests build it directly.
export const DEFAULTS = {
    name: "default",
    dataDir: "./raftkv-data",
    listenClient: "127.0.0.1:2379",
    listenPeer: "127.0.0.1:2380",
    listenMetrics: "127.0.0.1:2381",
    clusterToken: "raftkv-cluster",
    tickMs: 100,
    electionTicks: 10,
    heartbeatTicks: 1,
    requestTimeoutMs: 7000,
    snapshotEntries: 10_000,
    snapshotCatchUpEntries: 5000,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxPendingProposals: 10_000,
    logLevel: "info",
    logFormat: "auto",
};
export class ConfigError extends Error {
    constructor(message) {
        super(message);
        this.name = "ConfigError";
    }
}
/** Accepts "host:port", "http://host:port" or "https://host:port"; returns "host:port". */
export function hostPort(value, what) {
    const stripped = value
        .trim()
        .replace(/^[a-z]+:\/\//i, "")
        .replace(/\/+$/, "");
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(stripped);
    if (m === null)
        throw new ConfigError(`${what}: "${value}" is not host:port (e.g. 127.0.0.1:2379)`);
    const port = Number(m[2]);
    if (port > 65535)
        throw new ConfigError(`${what}: port ${port} is out of range`);
    return stripped;
}
/** Parses "name=url,name=url" into a map; every name once, every URL host:port. */
export function parsePeers(value) {
    const peers = new Map();
    for (const part of value
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p.length > 0)) {
        const eq = part.indexOf("=");
        if (eq <= 0)
            throw new ConfigError(`--peers: "${part}" is not name=url`);
        const name = part.slice(0, eq).trim();
        if (peers.has(name))
            throw new ConfigError(`--peers: member "${name}" is listed twice`);
        peers.set(name, hostPort(part.slice(eq + 1), `--peers ${name}`));
    }
    return peers;
}
export function positiveInt(value, what) {
    const n = typeof value === "number" ? value : Number(value);
    if (!Number.isSafeInteger(n) || n <= 0)
        throw new ConfigError(`${what}: "${value}" is not a positive integer`);
    return n;
}
/** Cross-field checks. */
export function checkConfig(c) {
    if (c.name.length === 0)
        throw new ConfigError("--name must not be empty");
    if (!c.peers.has(c.name)) {
        throw new ConfigError(`--peers does not list this member's --name "${c.name}" (peers: ${[...c.peers.keys()].join(", ")})`);
    }
    if (c.heartbeatTicks >= c.electionTicks) {
        throw new ConfigError("--heartbeat-ticks must be smaller than --election-ticks");
    }
    return c;
}
//# sourceMappingURL=config.js.map