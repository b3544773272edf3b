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
import { connect, createServer } from "node:net";
import { linkId } from "./net.js";
/** One direction of a proxied connection: reads `src`, writes `dst`, honouring the link state. */
class Flow {
    #src;
    #dst;
    #state;
    #queue = [];
    #timer = null;
    #backpressure = false;
    bytes = 0;
    constructor(src, dst, state) {
        this.#src = src;
        this.#dst = dst;
        this.#state = state;
        src.on("data", (chunk) => this.#onData(chunk));
        dst.on("drain", () => {
            this.#backpressure = false;
            this.update();
        });
    }
    #onData(chunk) {
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
    #write(chunk) {
        if (this.#dst.destroyed)
            return;
        if (!this.#dst.write(chunk)) {
            this.#backpressure = true;
            this.update();
        }
    }
    #schedule() {
        if (this.#timer !== null || this.#queue.length === 0 || this.#state.cut === "hang")
            return;
        const wait = Math.max(0, this.#queue[0].at - Date.now());
        this.#timer = setTimeout(() => {
            this.#timer = null;
            const now = Date.now();
            while (this.#queue.length > 0 && this.#queue[0].at <= now && this.#state.cut !== "hang") {
                this.#write(this.#queue.shift().chunk);
            }
            this.#schedule();
        }, wait);
    }
    /** Re-reads the link state: pause or resume reading. */
    update() {
        if (this.#src.destroyed)
            return;
        if (this.#state.cut === "hang" || this.#backpressure)
            this.#src.pause();
        else {
            this.#src.resume();
            this.#schedule();
        }
    }
    close() {
        if (this.#timer !== null)
            clearTimeout(this.#timer);
        this.#timer = null;
        this.#queue.length = 0;
    }
}
class Link {
    from;
    to;
    state = { cut: null, delayMs: 0 };
    #server;
    #targetPort;
    #conns = new Set();
    accepted = 0;
    reset = 0;
    bytes = 0;
    port = 0;
    constructor(from, to, targetPort) {
        this.from = from;
        this.to = to;
        this.#targetPort = targetPort;
        this.#server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
        this.#server.on("error", () => { });
    }
    listen() {
        return new Promise((resolve, reject) => {
            this.#server.once("error", reject);
            this.#server.listen(0, "127.0.0.1", () => {
                const addr = this.#server.address();
                this.port = typeof addr === "object" && addr !== null ? addr.port : 0;
                resolve(this.port);
            });
        });
    }
    #accept(client) {
        this.accepted++;
        client.on("error", () => { });
        if (this.state.cut === "drop") {
            this.reset++;
            client.resetAndDestroy();
            return;
        }
        const upstream = connect({ host: "127.0.0.1", port: this.#targetPort });
        upstream.on("error", () => { });
        const conn = {
            client,
            upstream,
            flows: [new Flow(client, upstream, this.state), new Flow(upstream, client, this.state)],
        };
        this.#conns.add(conn);
        const close = () => {
            if (!this.#conns.delete(conn))
                return;
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
        for (const f of conn.flows)
            f.update();
    }
    set(cut, delayMs) {
        this.state.cut = cut;
        this.state.delayMs = delayMs;
        if (cut === "drop") {
            for (const c of [...this.#conns]) {
                this.reset++;
                c.client.resetAndDestroy();
                c.upstream.resetAndDestroy();
            }
        }
        for (const c of this.#conns)
            for (const f of c.flows)
                f.update();
    }
    close() {
        for (const c of [...this.#conns]) {
            c.client.destroy();
            c.upstream.destroy();
        }
        return new Promise((resolve) => this.#server.close(() => resolve()));
    }
}
export class LoopbackProxyNet {
    kind = "proxy";
    canDelay = true;
    nodes = [];
    #links = new Map();
    #closed = false;
    constructor() { }
    /** Opens a listener for every directed link between `names` (ports: each node's real ones). */
    static async start(names, ports) {
        const net = new LoopbackProxyNet();
        const n = names.length;
        for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
                if (i === j)
                    continue;
                const link = new Link(i, j, ports[j].peer);
                await link.listen();
                net.#links.set(linkId(i, j), link);
            }
        }
        for (let i = 0; i < n; i++) {
            const peers = names.map((name, j) => i === j
                ? `${name}=127.0.0.1:${ports[j].peer}`
                : `${name}=127.0.0.1:${net.#links.get(linkId(i, j)).port}`);
            net.nodes.push({
                name: names[i],
                listenClient: `127.0.0.1:${ports[i].client}`,
                listenPeer: `127.0.0.1:${ports[i].peer}`,
                listenMetrics: `127.0.0.1:${ports[i].metrics}`,
                clientEndpoint: `127.0.0.1:${ports[i].client}`,
                peers: peers.join(","),
                spawnPrefix: [],
            });
        }
        return net;
    }
    async apply(f) {
        for (const [id, link] of this.#links)
            link.set(f.cut.has(id) ? f.mode : null, f.delayMs);
    }
    async close() {
        if (this.#closed)
            return;
        this.#closed = true;
        await Promise.all([...this.#links.values()].map((l) => l.close()));
    }
    closeSync() {
        // Listeners die with the process.
    }
    describe() {
        let accepted = 0;
        let reset = 0;
        for (const l of this.#links.values()) {
            accepted += l.accepted;
            reset += l.reset;
        }
        return `proxy links: ${this.#links.size}, connections accepted ${accepted}, reset by faults ${reset}`;
    }
}
//# sourceMappingURL=proxy.js.map