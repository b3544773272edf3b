// Parses listen addresses: "host:port", "[v6]:port", ":port", with an optional scheme
// ("http://127.0.0.1:2379", as etcd's flags spell them).
export function parseListen(listen) {
    const bare = listen
        .trim()
        .replace(/^[a-z]+:\/\//i, "")
        .replace(/\/+$/, "");
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(bare);
    const port = Number(match?.[3]);
    if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new TypeError(`bad listen address ${JSON.stringify(listen)}: expected host:port`);
    }
    const host = match[1] ?? match[2] ?? "";
    return { host: host === "" ? "0.0.0.0" : host, port };
}
/** The address as grpc-js binds it ("[::1]:2379" for IPv6). */
export function grpcBindAddress({ host, port }) {
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
//# sourceMappingURL=listen.js.map