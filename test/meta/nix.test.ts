// The Nix files cannot be built here (Debian's nix 2.8 cannot evaluate current nixpkgs, and there
// is no network to fetch it), but every .nix file must parse — which in Nix includes resolving
// every variable — and flake.lock must pin the one input flake.nix declares.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".vitest", "raftkv-data", "raftkv-dev"]);

function nixFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.isDirectory()) return SKIP_DIRS.has(d.name) ? [] : nixFiles(join(dir, d.name));
    return d.name.endsWith(".nix") ? [join(dir, d.name)] : [];
  });
}

function nixInstantiate(args: readonly string[]): { ok: boolean; out: string } {
  try {
    const out = execFileSync("nix-instantiate", args, { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    return { ok: true, out };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { ok: false, out: e.stderr || e.message };
  }
}

const hasNix = (() => {
  try {
    execFileSync("nix-instantiate", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasNix) {
  console.warn(
    "skipping the .nix parse checks: nix-instantiate is not installed (Debian: apt-get install nix-bin)",
  );
}

describe("Nix files", () => {
  const files = nixFiles(ROOT);

  it("include the flake and the NixOS module", () => {
    expect(files.map((f) => relative(ROOT, f)).sort()).toEqual(
      expect.arrayContaining(["flake.nix", "nix/module.nix"]),
    );
  });

  it.skipIf(!hasNix).each(files.map((f) => relative(ROOT, f)))(
    "%s parses (nix-instantiate --parse)",
    (file) => {
      const { ok, out } = nixInstantiate(["--parse", file]);
      expect(ok, out).toBe(true);
    },
  );

  it.skipIf(!hasNix)("flake.nix declares nixpkgs as its only input", () => {
    const { ok, out } = nixInstantiate([
      "--eval",
      "--strict",
      "--json",
      "-E",
      "let f = import ./flake.nix; in { inputs = builtins.attrNames f.inputs; url = f.inputs.nixpkgs.url; }",
    ]);
    expect(ok, out).toBe(true);
    expect(JSON.parse(out)).toEqual({ inputs: ["nixpkgs"], url: "github:NixOS/nixpkgs/nixos-unstable" });
  });
});

describe("flake.lock", () => {
  const lock = JSON.parse(readFileSync(join(ROOT, "flake.lock"), "utf8"));

  it("is a version 7 lock whose root has exactly the nixpkgs input", () => {
    expect(lock.version).toBe(7);
    expect(lock.root).toBe("root");
    expect(lock.nodes.root).toEqual({ inputs: { nixpkgs: "nixpkgs" } });
    expect(Object.keys(lock.nodes).sort()).toEqual(["nixpkgs", "root"]);
  });

  it("pins a nixpkgs revision with its NAR hash, from the branch flake.nix follows", () => {
    const { locked, original } = lock.nodes.nixpkgs;
    expect(locked).toMatchObject({ type: "github", owner: "NixOS", repo: "nixpkgs" });
    expect(locked.rev).toMatch(/^[0-9a-f]{40}$/);
    expect(locked.narHash).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(Number.isSafeInteger(locked.lastModified)).toBe(true);
    expect(original).toEqual({ type: "github", owner: "NixOS", repo: "nixpkgs", ref: "nixos-unstable" });
    const flake = readFileSync(join(ROOT, "flake.nix"), "utf8");
    expect(flake).toContain(`"github:${original.owner}/${original.repo}/${original.ref}"`);
  });
});

describe("flake.nix", () => {
  const flake = readFileSync(join(ROOT, "flake.nix"), "utf8");

  it("builds with buildNpmPackage from package-lock.json alone (importNpmLock, no deps hash)", () => {
    expect(flake).toContain("pkgs.buildNpmPackage");
    expect(flake).toContain("npmDeps = pkgs.importNpmLock { npmRoot = ./.; };");
    expect(flake).toContain("npmConfigHook = pkgs.importNpmLock.npmConfigHook;");
    expect(flake).not.toMatch(/npmDepsHash\s*=/);
    expect(flake).toContain('mainProgram = "raftkv";');
  });

  it("covers the four systems with plain lib.genAttrs and offers what the README promises", () => {
    for (const system of ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"]) {
      expect(flake).toContain(`"${system}"`);
    }
    expect(flake).toContain("lib.genAttrs systems");
    for (const output of [
      "packages =",
      "apps =",
      "devShells =",
      "checks =",
      "nixosModules.default",
      "raftkv-image",
    ]) {
      expect(flake).toContain(output);
    }
    expect(flake).toContain("dockerTools.buildLayeredImage");
  });
});
