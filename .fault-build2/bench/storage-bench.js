// Micro-benchmark of the durable Raft log (not a test): synced batches of `batchEntries` entries of
// `entryBytes` bytes through LevelLogStore.save() — one LevelDB batch and one fsync each — beside
// the same batches written straight to LevelDB (the floor), and the time to reload the log.
//
//   npx vite-node bench/storage-bench.ts [--batches 2000] [--batch-entries 64] [--entry-bytes 256] [--dir /path]
//   (or, built: node dist/bench/storage-bench.js ...)
// The data dir defaults to a temp dir under os.tmpdir(): put it on the disk you care about.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDataDir, restoreMemoryStorage } from "../src/storage/index.js";
const { values } = parseArgs({
    options: {
        batches: { type: "string", default: "2000" },
        "batch-entries": { type: "string", default: "64" },
        "entry-bytes": { type: "string", default: "256" },
        dir: { type: "string" },
    },
});
const batches = Number(values.batches);
const batchEntries = Number(values["batch-entries"]);
const entryBytes = Number(values["entry-bytes"]);
function percentile(sortedMs, p) {
    return sortedMs[Math.min(sortedMs.length - 1, Math.floor((sortedMs.length * p) / 100))] ?? 0;
}
function report(name, latenciesMs, seconds, cpu) {
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const entriesPerS = (latenciesMs.length * batchEntries) / seconds;
    console.log(`${name.padEnd(26)} ${Math.round(entriesPerS).toString().padStart(8)} entries/s  ` +
        `${Math.round(latenciesMs.length / seconds)
            .toString()
            .padStart(6)} batches/s  ` +
        `p50 ${percentile(sorted, 50).toFixed(3)} ms  p99 ${percentile(sorted, 99).toFixed(3)} ms  ` +
        `CPU ${((cpu.user + cpu.system) / (latenciesMs.length * batchEntries)).toFixed(2)} us/entry`);
}
async function main() {
    const root = values.dir ?? (await mkdtemp(join(tmpdir(), "raftkv-storage-bench-")));
    const payloads = Array.from({ length: 1024 }, () => randomBytes(entryBytes));
    console.log(`${batches} synced batches x ${batchEntries} entries x ${entryBytes} B, data dir ${root}, node ${process.version}`);
    try {
        // 1. LevelLogStore.save: encode + checksum + one synced batch per save.
        const dataDir = await openDataDir(join(root, "store"), {
            name: "bench",
            clusterId: 1,
            memberId: 1,
            create: true,
        });
        const latencies = [];
        let index = 0;
        const start = performance.now();
        const cpu = process.cpuUsage();
        for (let b = 0; b < batches; b++) {
            const entries = [];
            for (let i = 0; i < batchEntries; i++) {
                index++;
                entries.push({ index, term: 1, type: "normal", data: payloads[index % payloads.length] });
            }
            const t0 = performance.now();
            await dataDir.raftLog.save({ hardState: { term: 1, vote: 1, commit: index }, entries, snapshot: null });
            latencies.push(performance.now() - t0);
        }
        report("LevelLogStore.save", latencies, (performance.now() - start) / 1000, process.cpuUsage(cpu));
        await dataDir.close();
        // 2. Reload: open (validates every entry) and rebuild the MemoryStorage.
        const t0 = performance.now();
        const reopened = await openDataDir(join(root, "store"), {
            name: "bench",
            clusterId: 1,
            memberId: 1,
            create: false,
        });
        const ms = restoreMemoryStorage(await reopened.raftLog.load());
        const loadS = (performance.now() - t0) / 1000;
        console.log(`${"open + load + restore".padEnd(26)} ${Math.round(ms.lastIndex() / loadS)
            .toString()
            .padStart(8)} entries/s  (${ms.lastIndex()} entries in ${(loadS * 1000).toFixed(0)} ms)`);
        await reopened.close();
        // 3. The floor: the same bytes straight into LevelDB, one synced batch each.
        const raw = await openDataDir(join(root, "raw"), {
            name: "bench",
            clusterId: 1,
            memberId: 1,
            create: true,
        });
        const rawLatencies = [];
        const value = Buffer.alloc(entryBytes + 13);
        const rawStart = performance.now();
        const rawCpu = process.cpuUsage();
        for (let b = 0; b < batches; b++) {
            const ops = [];
            for (let i = 0; i < batchEntries; i++) {
                const key = Buffer.allocUnsafe(9);
                key[0] = 0x09;
                key.writeUInt32BE(b, 1);
                key.writeUInt32BE(i, 5);
                ops.push({ type: "put", key, value });
            }
            const t1 = performance.now();
            await raw.db.batch(ops, { sync: true });
            rawLatencies.push(performance.now() - t1);
        }
        report("raw LevelDB batch (floor)", rawLatencies, (performance.now() - rawStart) / 1000, process.cpuUsage(rawCpu));
        await raw.close();
    }
    finally {
        if (values.dir === undefined)
            await rm(root, { recursive: true, force: true });
    }
}
await main();
//# sourceMappingURL=storage-bench.js.map