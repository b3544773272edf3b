// Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `compare.js --profile DIR`): self time
// by function and by area (our code per folder, grpc-js, protobufjs, LevelDB, node internals,
// garbage collection, idle), so a profile of each member under load reads in a few lines.
//
//   node dist/bench/profile-summary.js DIR_OR_FILE... [--top 25]

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === "(idle)") return "idle";
  if (name === "(garbage collector)") return "gc";
  if (name === "(program)") return "program (native, unattributed)";
  const m = /\/(src|bench)\/([a-z-]+)\//.exec(url);
  if (m !== null && !url.includes("node_modules")) return `raftkv ${m[1]}/${m[2]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  return url === "" ? "native" : "other";
}

function files(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (statSync(a).isDirectory()) {
      for (const f of readdirSync(a)) out.push(...files([join(a, f)]));
    } else if (a.endsWith(".cpuprofile")) out.push(a);
  }
  return out;
}

function summarise(path: string, top: number): string {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const totalUs = p.endTime - p.startTime;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const short = url.replace(/^.*\/(node_modules|src|bench)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  const idle = byArea.get("idle") ?? 0;
  const busy = totalUs - idle;
  const pct = (us: number, of: number) => `${((100 * us) / Math.max(1, of)).toFixed(1)}%`;
  const lines = [
    `${path}: ${(totalUs / 1e6).toFixed(1)} s profiled, busy ${pct(busy, totalUs)}`,
    "  by area (share of busy time):",
  ];
  for (const [a, us] of [...byArea].filter(([a]) => a !== "idle").sort((x, y) => y[1] - x[1])) {
    lines.push(`    ${pct(us, busy).padStart(6)}  ${a}`);
  }
  lines.push(`  top ${top} functions by self time (share of busy time):`);
  for (const [f, us] of [...byFn]
    .filter(([f]) => !f.startsWith("(idle)"))
    .sort((x, y) => y[1] - x[1])
    .slice(0, top)) {
    lines.push(`    ${pct(us, busy).padStart(6)}  ${f}`);
  }
  return lines.join("\n");
}

const { values, positionals } = parseArgs({
  options: { top: { type: "string", default: "25" } },
  allowPositionals: true,
});
for (const f of files(positionals)) process.stdout.write(`${summarise(f, Number(values.top))}\n\n`);
