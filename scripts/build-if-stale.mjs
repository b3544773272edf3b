#!/usr/bin/env node
// Runs `tsc` before `npm start` / `npm run cluster` only when dist/ is older than the sources, and
// says so. Plain JavaScript: it must run before anything is built.

import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "src", "cli", "main.js");

/** The newest modification time (ms) of the .ts files under `dir`, 0 if none. */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return 0;
  }
}

const sources = Math.max(
  newestSource(join(root, "src")),
  newestSource(join(root, "bench")),
  statSync(join(root, "tsconfig.json")).mtimeMs,
);
const at = builtAt();
if (at === 0 || sources > at) {
  process.stderr.write(
    at === 0
      ? "raftkv: building (tsc): dist/ does not exist yet …\n"
      : "raftkv: building (tsc): the sources changed since the last build …\n",
  );
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
  if (run.status !== 0) {
    process.stderr.write("raftkv: the build failed\n");
    process.exit(run.status ?? 1);
  }
}
