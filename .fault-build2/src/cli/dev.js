// `raftkv dev --nodes 3`: a local cluster on 127.0.0.1 in one terminal, logs prefixed by node.
// Each node is a child process running this same CLI; Ctrl-C stops them all gracefully.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { positiveInt } from "../node/config.js";
const COLORS = [36, 33, 35, 32, 34, 31, 96];
export async function runDevCluster(opts) {
    const n = positiveInt(opts.nodes, "--nodes");
    const base = positiveInt(opts.basePort, "--base-port");
    const names = Array.from({ length: n }, (_, i) => `node${i + 1}`);
    const ports = names.map((_, i) => ({
        client: base + i * 10,
        peer: base + i * 10 + 1,
        metrics: base + i * 10 + 2,
    }));
    const peers = names.map((name, i) => `${name}=127.0.0.1:${ports[i].peer}`).join(",");
    const script = process.argv[1];
    const children = [];
    names.forEach((name, i) => {
        const p = ports[i];
        const args = [
            script,
            "--name",
            name,
            "--data-dir",
            join(resolve(opts.dataDir), name),
            "--listen-client",
            `127.0.0.1:${p.client}`,
            "--listen-peer",
            `127.0.0.1:${p.peer}`,
            "--listen-metrics",
            `127.0.0.1:${p.metrics}`,
            "--peers",
            peers,
            "--log-format",
            "json",
        ];
        const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
        children.push(child);
        const prefix = `\x1b[${COLORS[i % COLORS.length]}m${name.padEnd(6)}|\x1b[0m `;
        for (const stream of [child.stdout, child.stderr]) {
            createInterface({ input: stream }).on("line", (line) => process.stdout.write(prefix + pretty(line) + "\n"));
        }
        child.on("exit", (code, signal) => process.stdout.write(`${prefix}exited (${signal ?? code})\n`));
    });
    process.stdout.write(`raftkv dev: ${n} nodes; client endpoints ${ports.map((p) => `127.0.0.1:${p.client}`).join(",")}\n` +
        `  try: ETCDCTL_API=3 etcdctl --endpoints ${ports.map((p) => `127.0.0.1:${p.client}`).join(",")} member list\n`);
    const stop = () => {
        for (const c of children)
            c.kill("SIGTERM");
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    await Promise.all(children.map((c) => new Promise((r) => c.on("exit", r))));
}
/** A compact one-line rendering of a pino JSON line. */
function pretty(line) {
    try {
        const o = JSON.parse(line);
        const { level, time, msg, pid: _pid, hostname: _host, node: _node, ...rest } = o;
        const lv = typeof level === "number"
            ? ({ 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" }[level] ?? level)
            : level;
        const t = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
        const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
        return `${t} ${lv} ${msg ?? ""}${extra}`;
    }
    catch {
        return line;
    }
}
//# sourceMappingURL=dev.js.map