// Peer addresses: "http://10.0.0.1:2380", "https://raftkv-0.raftkv:2380", "host:port",
// "[::1]:2380". A missing port means 2380 (etcd's peer port).
export const DEFAULT_PEER_PORT = 2380;
/** Parses a peer URL or host:port. Throws a TypeError naming the bad input. */
export function parsePeerUrl(input) {
    const text = input.trim();
    if (text === "")
        throw new TypeError("raftkv: empty peer URL");
    let scheme = null;
    let url;
    try {
        if (text.includes("://")) {
            url = new URL(text);
            if (url.protocol === "http:")
                scheme = "http";
            else if (url.protocol === "https:")
                scheme = "https";
            else
                throw new TypeError(`unsupported scheme ${url.protocol}`);
            if (url.pathname !== "/" && url.pathname !== "")
                throw new TypeError("a peer URL has no path");
        }
        else {
            url = new URL(`http://${text}`);
        }
    }
    catch (err) {
        throw new TypeError(`raftkv: bad peer URL ${JSON.stringify(input)}: ${err.message}`, {
            cause: err,
        });
    }
    if (url.username !== "" || url.search !== "" || url.hash !== "") {
        throw new TypeError(`raftkv: bad peer URL ${JSON.stringify(input)}: expected scheme://host:port`);
    }
    const host = url.hostname;
    if (host === "")
        throw new TypeError(`raftkv: bad peer URL ${JSON.stringify(input)}: no host`);
    // URL drops the port when it is the scheme's default (80/443); keep what the user wrote.
    const explicitPort = /:(\d+)\/?$/.exec(text);
    const port = explicitPort ? Number(explicitPort[1]) : DEFAULT_PEER_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new TypeError(`raftkv: bad peer URL ${JSON.stringify(input)}: port out of range`);
    }
    return { target: `${host}:${port}`, host, port, scheme };
}
/** Parses a listen address ("host:port", port 0 allowed, or a URL) into grpc-js's bind form. */
export function parseListenAddress(input) {
    const text = input.trim().replace(/^[a-z]+:\/\//i, "");
    const match = /^(\[[^\]]+\]|[^:[\]]+):(\d+)\/?$/.exec(text);
    if (match === null)
        throw new TypeError(`raftkv: bad listen address ${JSON.stringify(input)}: expected host:port`);
    const port = Number(match[2]);
    if (port > 65535)
        throw new TypeError(`raftkv: bad listen address ${JSON.stringify(input)}: port out of range`);
    return `${match[1]}:${port}`;
}
//# sourceMappingURL=url.js.map