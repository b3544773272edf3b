// The Nix package (flake.nix) builds its node_modules with importNpmLock, which fetches every
// package from the `resolved` URL in package-lock.json and checks it against `integrity` — no
// separate hash to keep in step. So the lock must stay lockfileVersion 3 with both fields on
// every package (.npmrc keeps npm from dropping `resolved`), and in step with package.json.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

interface LockPackage {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(resolve(ROOT, "package-lock.json"), "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, LockPackage>;
};
const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as LockPackage & { name: string };

describe("package-lock.json (importNpmLock needs it complete)", () => {
  it("is lockfileVersion 3", () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it("has `resolved` (an https registry tarball) and `integrity` (sha512) on every package", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || entry.link === true || entry.inBundle === true) continue;
      if (typeof entry.resolved !== "string" || !/^https:\/\/.+\.tgz$/.test(entry.resolved)) {
        missing.push(`${path}: resolved ${JSON.stringify(entry.resolved)}`);
      }
      if (typeof entry.integrity !== "string" || !/^sha512-[A-Za-z0-9+/]+={0,2}$/.test(entry.integrity)) {
        missing.push(`${path}: integrity ${JSON.stringify(entry.integrity)}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("is in step with package.json (npm install was run after the last edit)", () => {
    const root = lock.packages[""]!;
    expect(root.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
    }
  });

  it("keeps the .npmrc setting that stops npm from dropping `resolved`", () => {
    const npmrc = readFileSync(resolve(ROOT, ".npmrc"), "utf8");
    expect(npmrc).toMatch(/^omit-lockfile-registry-resolved\s*=\s*false\s*$/m);
  });
});
