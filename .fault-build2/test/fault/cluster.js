// Real raftkv processes for fault runs: start, kill -9, SIGTERM, SIGSTOP/SIGCONT, restart, find
// the leader, and clean up everything (processes, network) on the way out — also when the test
// process itself is interrupted.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { EtcdClient } from "../../src/client/index.js";
import { clusterIdOf, memberIdOf } from "../../src/node/ids.js";
/** The repository root: the nearest directory up from here with raftkv's package.json. */
function packageRoot() {
    let dir = import.meta.dirname;
    for (;;) {
        const pkg = join(dir, "package.json");
        if (existsSync(pkg) && /"name":\s*"raftkv"/.test(readFileSync(pkg, "utf8")))
            return dir;
        const up = dirname(dir);
        if (up === dir)
            throw new Error(`no raftkv package.json above ${import.meta.dirname}`);
        dir = up;
    }
}
/** The raftkv CLI the nodes run: the build in dist/, or RAFTKV_FAULT_CLI (e.g. a private build). */
export const CLI = process.env.RAFTKV_FAULT_CLI
    ? resolve(process.env.RAFTKV_FAULT_CLI)
    : resolve(packageRoot(), "dist/src/cli/main.js");
export async function freePort() {
    return new Promise((res, rej) => {
        const srv = createServer();
        srv.once("error", rej);
        srv.listen(0, "127.0.0.1", () => {
            const addr = srv.address();
            const port = typeof addr === "object" && addr !== null ? addr.port : 0;
            srv.close(() => res(port));
        });
    });
}
/** Polls `cond` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor(what, cond, timeoutMs, everyMs = 50) {
    const deadline = Date.now() + timeoutMs;
    let lastErr;
    for (;;) {
        try {
            const v = await cond();
            if (v)
                return v;
        }
        catch (err) {
            lastErr = err;
        }
        if (Date.now() >= deadline) {
            const why = lastErr instanceof Error ? `: ${lastErr.message}` : "";
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
/**
 * An answer from a server that is not the node asked: its port was taken over by another process
 * (another test's cluster) while the node was down. Never an answer about this cluster.
 */
export class ForeignServerError extends Error {
    constructor(node, header) {
        super(`${node}'s address is served by another server (cluster ${header?.clusterId}, member ${header?.memberId})`);
        this.name = "ForeignServerError";
    }
}
const live = new Set();
let exitHookInstalled = false;
/** Last resort: a test process that exits (or is interrupted) takes its nodes and network along. */
function installExitHook() {
    if (exitHookInstalled)
        return;
    exitHookInstalled = true;
    process.on("exit", () => {
        for (const c of live)
            c.killAllSync();
    });
}
export class FaultCluster {
    nodes;
    net;
    root;
    token;
    clusterId;
    timings;
    #logs = new Map();
    #expectedExit = new Set();
    /** Called when a node exits without being asked to (a crash, or a failure to start). */
    onUnexpectedExit = () => { };
    constructor(net, root, timings, token) {
        this.net = net;
        this.root = root;
        this.timings = timings;
        this.token = token;
        this.clusterId = clusterIdOf(token, net.nodes.map((a) => a.name));
        this.nodes = net.nodes.map((addr, index) => ({
            index,
            name: addr.name,
            memberId: memberIdOf(token, addr.name),
            addr,
            dataDir: join(root, addr.name),
            proc: null,
            state: "down",
            starts: 0,
            unexpectedExits: [],
        }));
        mkdirSync(root, { recursive: true });
        installExitHook();
        live.add(this);
    }
    get electionTimeoutMs() {
        return this.timings.tickMs * this.timings.electionTicks;
    }
    logPath(n) {
        return join(this.root, `${n.name}.log`);
    }
    #args(n) {
        const t = this.timings;
        return [
            ...n.addr.spawnPrefix,
            process.execPath,
            CLI,
            "--name",
            n.name,
            "--data-dir",
            n.dataDir,
            "--listen-client",
            n.addr.listenClient,
            "--listen-peer",
            n.addr.listenPeer,
            "--listen-metrics",
            n.addr.listenMetrics,
            "--peers",
            n.addr.peers,
            "--cluster-token",
            this.token,
            "--tick-ms",
            String(t.tickMs),
            "--election-ticks",
            String(t.electionTicks),
            "--request-timeout-ms",
            String(t.requestTimeoutMs),
            "--snapshot-count",
            String(t.snapshotCount),
            "--snapshot-catchup-entries",
            String(t.snapshotCatchUpEntries),
            "--log-format",
            "json",
        ];
    }
    start(n) {
        if (n.proc !== null)
            throw new Error(`${n.name} is already running`);
        const [cmd, ...args] = this.#args(n);
        const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        let log = this.#logs.get(n.name);
        if (log === undefined) {
            log = createWriteStream(this.logPath(n), { flags: "a" });
            this.#logs.set(n.name, log);
        }
        const out = log;
        out.write(`{"fault":"start","pid":${proc.pid},"time":${Date.now()}}\n`);
        proc.stdout.on("data", (b) => out.write(b));
        proc.stderr.on("data", (b) => out.write(b));
        proc.on("exit", (code, signal) => {
            out.write(`{"fault":"exit","code":${code},"signal":"${signal}","time":${Date.now()}}\n`);
            if (!this.#expectedExit.delete(proc)) {
                n.unexpectedExits.push(signal ?? `code ${code}`);
                this.onUnexpectedExit(n, signal ?? `code ${code}`);
            }
            if (n.proc === proc) {
                n.proc = null;
                n.state = "down";
            }
        });
        n.proc = proc;
        n.state = "up";
        n.starts++;
    }
    /** Sends `signal` and waits for the exit (SIGCONT first, so a paused node can run its handler). */
    async stopNode(n, signal) {
        const p = n.proc;
        if (p === null)
            return;
        this.#expectedExit.add(p);
        const exited = new Promise((r) => p.once("exit", r));
        p.kill(signal);
        if (n.state === "paused")
            p.kill("SIGCONT");
        await exited;
    }
    pause(n) {
        if (n.proc === null || n.state !== "up")
            return;
        n.proc.kill("SIGSTOP");
        n.state = "paused";
    }
    resume(n) {
        if (n.proc === null || n.state !== "paused")
            return;
        n.proc.kill("SIGCONT");
        n.state = "up";
    }
    client(n, timeoutMs) {
        return new EtcdClient([n.addr.clientEndpoint], {
            timeoutMs,
            channelOptions: {
                "grpc.initial_reconnect_backoff_ms": 50,
                "grpc.min_reconnect_backoff_ms": 50,
                "grpc.max_reconnect_backoff_ms": 500,
            },
        });
    }
    /** Throws ForeignServerError unless `header` comes from node `n` of this cluster. */
    checkHeader(n, header) {
        if (header?.clusterId !== this.clusterId || header.memberId !== n.memberId)
            throw new ForeignServerError(n.name, header ?? undefined);
    }
    /**
     * The node that the running, unpaused nodes name as leader, when those that answer within
     * `timeoutMs` agree on one; null otherwise.
     */
    async leader(timeoutMs = 1000) {
        const up = this.nodes.filter((n) => n.state === "up");
        const named = await Promise.all(up.map(async (n) => {
            const c = this.client(n, timeoutMs);
            try {
                const st = await c.status();
                this.checkHeader(n, st.header);
                return Number(st.leader);
            }
            catch {
                return 0;
            }
            finally {
                c.close();
            }
        }));
        const ids = new Set(named.filter((id) => id !== 0));
        if (ids.size !== 1)
            return null;
        const id = [...ids][0];
        const leader = this.nodes.find((n) => n.memberId === id) ?? null;
        return leader?.state === "up" ? leader : null;
    }
    async waitForLeader(timeoutMs) {
        return waitFor("a leader", () => this.leader(), timeoutMs, 100);
    }
    /** How many times each node's log says it installed a snapshot from the leader. */
    snapshotInstalls() {
        const out = new Map();
        for (const n of this.nodes) {
            let text = "";
            try {
                text = readFileSync(this.logPath(n), "utf8");
            }
            catch { }
            out.set(n.name, (text.match(/"msg":"installed snapshot"/g) ?? []).length);
        }
        return out;
    }
    async close() {
        await Promise.all(this.nodes.map((n) => this.stopNode(n, "SIGKILL")));
        await this.net.close();
        await Promise.all([...this.#logs.values()].map((s) => new Promise((r) => s.end(() => r()))));
        this.#logs.clear();
        live.delete(this);
    }
    killAllSync() {
        for (const n of this.nodes) {
            try {
                n.proc?.kill("SIGKILL");
            }
            catch { }
        }
        this.net.closeSync();
    }
}
//# sourceMappingURL=cluster.js.map