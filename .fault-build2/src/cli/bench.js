// `raftkv bench`: flags → bench/load.ts.
import { bench, formatResult } from "../../bench/load.js";
import { positiveInt } from "../node/config.js";
export async function runBench(o) {
    const opts = {
        endpoints: String(o.endpoints)
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        op: o.op,
        clients: positiveInt(String(o.clients), "--clients"),
        conns: positiveInt(String(o.conns), "--conns"),
        total: positiveInt(String(o.total), "--total"),
        durationS: o.duration ? positiveInt(String(o.duration), "--duration") : null,
        keySize: positiveInt(String(o.keySize), "--key-size"),
        valSize: positiveInt(String(o.valSize), "--val-size"),
        keySpace: positiveInt(String(o.keySpace), "--key-space"),
        consistency: o.consistency === "s" ? "s" : "l",
    };
    const result = await bench(opts);
    process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
}
//# sourceMappingURL=bench.js.map