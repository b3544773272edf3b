// Micro-benchmark of the gRPC peer transport (not a test): appends from a leader to a follower
// on loopback, acknowledged one appResp per append as a Raft follower would, with at most
// WINDOW appends unacknowledged (etcd's MaxInflightMsgs is 256). Reports appends/s.
//
// Cases: appends of 1 entry and of 64 entries, 256 B of data per entry.
// The follower runs in a child process (a leader and a follower do not share a core), or in the
// same process with --single-process. Also times the codec alone.
//
//   npm run build && node dist/bench/transport-bench.js [--seconds 3] [--single-process]
//   # or, without building everything:
//   npx esbuild bench/transport-bench.ts --bundle --platform=node --format=esm \
//     --packages=external --outfile=/tmp/transport-bench.mjs && node /tmp/transport-bench.mjs
import { fork } from "node:child_process";
import { decodeBatch, encodeBatchHeader, encodeBatchMessage } from "../src/transport/codec.js";
import { GrpcTransport } from "../src/transport/index.js";
const CLUSTER = 0x5eed;
const LEADER = 1;
const FOLLOWER = 2;
const WINDOW = 256;
const ENTRY_BYTES = 256;
function arg(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
function base(from, to) {
    return {
        clusterId: CLUSTER,
        from,
        to,
        term: 2,
        logTerm: 2,
        commit: 0,
        snapshot: null,
        reject: false,
        rejectHint: 0,
        context: new Uint8Array(0),
    };
}
function makeAppend(index, entries, payload) {
    const list = [];
    for (let i = 1; i <= entries; i++)
        list.push({ term: 2, index: index + i, type: "normal", data: payload });
    return { ...base(LEADER, FOLLOWER), type: "app", index, entries: list, commit: index };
}
/** The follower: answers every append with an appResp for its last index. */
async function runFollower(leaderUrl) {
    let transport = null;
    transport = new GrpcTransport({
        clusterId: CLUSTER,
        memberId: FOLLOWER,
        listen: "127.0.0.1:0",
        onMessages: (msgs) => {
            const replies = [];
            for (const m of msgs) {
                if (m.type !== "app")
                    continue;
                const last = m.entries.length > 0 ? m.entries[m.entries.length - 1].index : m.index;
                replies.push({ ...base(FOLLOWER, LEADER), type: "appResp", index: last, entries: [] });
            }
            transport?.send(replies);
        },
        onSnapshot: async () => { },
    });
    const { port } = await transport.start();
    if (leaderUrl !== null)
        transport.addPeer(LEADER, leaderUrl);
    return { transport, url: `http://127.0.0.1:${port}` };
}
async function runCase(leader, acks, entriesPerAppend, seconds) {
    const payload = Buffer.alloc(ENTRY_BYTES, 0x61);
    let nextIndex = 0; // index of the entry before the next append
    let acked = 0;
    let appendsAcked = 0;
    let measuring = false;
    const droppedBefore = leader.stats().dropped;
    const fill = () => {
        const batch = [];
        while ((nextIndex - acked) / entriesPerAppend < WINDOW) {
            batch.push(makeAppend(nextIndex, entriesPerAppend, payload));
            nextIndex += entriesPerAppend;
        }
        leader.send(batch);
    };
    const done = new Promise((resolve) => {
        let started = 0;
        acks.onAck = (index) => {
            if (index <= acked)
                return;
            if (measuring)
                appendsAcked += (index - acked) / entriesPerAppend;
            acked = index;
            fill();
        };
        setTimeout(() => {
            measuring = true;
            started = performance.now();
            setTimeout(() => {
                measuring = false;
                resolve((performance.now() - started) / 1000);
            }, seconds * 1000);
        }, 500); // warm-up
    });
    fill();
    const elapsed = await done;
    acks.onAck = null;
    // Let the window drain before the next case so that cases do not overlap.
    await new Promise((resolve) => {
        acks.onAck = (index) => {
            if (index >= nextIndex)
                resolve();
        };
        if (acked >= nextIndex)
            resolve();
    });
    acks.onAck = null;
    const appendsPerSecond = appendsAcked / elapsed;
    return {
        entries: entriesPerAppend,
        appendsPerSecond,
        entriesPerSecond: appendsPerSecond * entriesPerAppend,
        mebibytesPerSecond: (appendsPerSecond * entriesPerAppend * ENTRY_BYTES) / 1048576,
        dropped: leader.stats().dropped - droppedBefore,
    };
}
function codecTimings() {
    const lines = [];
    const payload = Buffer.alloc(ENTRY_BYTES, 0x61);
    for (const entries of [1, 64]) {
        const m = makeAppend(1000, entries, payload);
        const n = entries === 1 ? 200_000 : 10_000;
        let t = performance.now();
        let encoded = encodeBatchMessage(m);
        for (let i = 0; i < n; i++)
            encoded = encodeBatchMessage(m);
        const encodeUs = ((performance.now() - t) * 1000) / n;
        const batch = Buffer.concat([
            encodeBatchHeader(CLUSTER, LEADER, FOLLOWER),
            ...new Array(64).fill(encoded),
        ]);
        t = performance.now();
        const rounds = n / 64;
        for (let i = 0; i < rounds; i++)
            decodeBatch(batch);
        const decodeUs = ((performance.now() - t) * 1000) / (rounds * 64);
        lines.push(`codec, ${String(entries).padStart(2)}-entry append (${encoded.length} B): encode ${encodeUs.toFixed(2)} µs, decode ${decodeUs.toFixed(2)} µs per message`);
    }
    return lines;
}
async function main() {
    if (process.argv.includes("--follower")) {
        // Child process: serve as the follower, report the URL, stop when the parent says so.
        const { transport, url } = await runFollower(null);
        process.on("message", (m) => {
            if (m.leaderUrl !== undefined)
                transport.addPeer(LEADER, m.leaderUrl);
            if (m.stop)
                void transport.close().then(() => process.exit(0));
        });
        process.send?.({ url });
        return;
    }
    const seconds = Number(arg("--seconds", "3"));
    const singleProcess = process.argv.includes("--single-process");
    const acks = { onAck: null };
    const leader = new GrpcTransport({
        clusterId: CLUSTER,
        memberId: LEADER,
        listen: "127.0.0.1:0",
        onMessages: (msgs) => {
            for (const m of msgs)
                if (m.type === "appResp")
                    acks.onAck?.(m.index);
        },
        onSnapshot: async () => { },
    });
    const { port } = await leader.start();
    const leaderUrl = `http://127.0.0.1:${port}`;
    let stopFollower;
    if (singleProcess) {
        const follower = await runFollower(leaderUrl);
        leader.addPeer(FOLLOWER, follower.url);
        stopFollower = () => follower.transport.close();
    }
    else {
        const child = fork(process.argv[1], ["--follower"], { execArgv: process.execArgv });
        const url = await new Promise((resolve) => child.once("message", (m) => resolve(m.url)));
        child.send({ leaderUrl });
        leader.addPeer(FOLLOWER, url);
        stopFollower = async () => {
            child.send({ stop: true });
            await new Promise((resolve) => child.once("exit", resolve));
        };
    }
    console.log(`transport bench: ${singleProcess ? "one process" : "leader and follower in two processes"}, loopback, ` +
        `window ${WINDOW} appends, ${ENTRY_BYTES} B per entry, ${seconds} s per case, node ${process.version}`);
    for (const entries of [1, 64]) {
        const r = await runCase(leader, acks, entries, seconds);
        console.log(`${String(r.entries).padStart(2)}-entry appends: ${Math.round(r.appendsPerSecond).toLocaleString("en")} appends/s ` +
            `(${Math.round(r.entriesPerSecond).toLocaleString("en")} entries/s, ${r.mebibytesPerSecond.toFixed(1)} MiB/s of entry data), ` +
            `each acknowledged by an appResp; dropped ${r.dropped}`);
    }
    for (const line of codecTimings())
        console.log(line);
    await leader.close();
    await stopFollower();
}
await main();
//# sourceMappingURL=transport-bench.js.map