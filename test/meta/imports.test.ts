// Architecture checks: imports flow one way (cli → node → {api, kv, transport, storage} → raft;
// src/tls is a leaf beside raft that the layers above may use),
// src/raft imports nothing outside itself, and there are no import cycles.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
  )) {
    specs.push((m[1] ?? m[2])!);
  }
  return specs;
}

describe("architecture", () => {
  it("src/raft imports nothing outside src/raft (no I/O, no packages)", () => {
    const raftDir = join(SRC, "raft");
    const offenders: string[] = [];
    for (const file of tsFiles(raftDir)) {
      for (const spec of importsOf(file)) {
        const inside = spec.startsWith(".") && resolve(dirname(file), spec).startsWith(raftDir);
        if (!inside) offenders.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("src/raft uses no clock or ambient randomness", () => {
    const offenders: string[] = [];
    for (const file of tsFiles(join(SRC, "raft"))) {
      const text = readFileSync(file, "utf8");
      for (const bad of [
        "Math.random",
        "Date.now",
        "new Date",
        "setTimeout",
        "setInterval",
        "performance.now",
      ]) {
        if (text.includes(bad)) offenders.push(`${relative(SRC, file)} uses ${bad}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("layers import only downward", () => {
    const rank: Record<string, number> = {
      raft: 0,
      tls: 0,
      storage: 1,
      kv: 1,
      transport: 1,
      api: 1,
      client: 1,
      node: 2,
      cli: 3,
    };
    const offenders: string[] = [];
    for (const file of tsFiles(SRC)) {
      const layer = relative(SRC, file).split("/")[0]!;
      for (const spec of importsOf(file)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(SRC, resolve(dirname(file), spec)).split("/")[0]!;
        if (target === layer || !(target in rank)) continue;
        const ok =
          rank[target]! < rank[layer]! ||
          (layer === "api" && target === "kv") ||
          (layer === "client" && (target === "kv" || target === "api"));
        if (!ok) offenders.push(`${relative(SRC, file)} (${layer}) imports ${spec} (${target})`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("a server process loads no load-generator code (raftkv bench imports it on use)", () => {
    // Static imports only (not `import type`, not `import()`), from the CLI's entry point.
    const staticImports = (file: string): string[] => {
      const text = readFileSync(file, "utf8");
      return [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+["']([^"']+)["']/gm)].map(
        (m) => m[1]!,
      );
    };
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [join(SRC, "cli/main.ts")];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of staticImports(file)) {
        if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
        else packages.add(spec);
      }
    }
    const files = [...seen].map((f) => relative(resolve(SRC, ".."), f));
    expect(files).toContain("src/cli/server.ts");
    expect(files.filter((f) => f.startsWith("bench/") || f === "src/cli/bench.ts")).toEqual([]);
    expect([...packages].filter((p) => p.startsWith("hdr-histogram-js"))).toEqual([]);
  });

  it("has no import cycles", async () => {
    const res = await madge(SRC, {
      fileExtensions: ["ts"],
      tsConfig: resolve(SRC, "../tsconfig.json"),
      detectiveOptions: { ts: { skipTypeImports: true } },
    });
    expect(res.circular()).toEqual([]);
  });
});
