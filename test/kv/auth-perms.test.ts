// Key-range permission checks (src/kv/auth-perms.ts) against etcd's semantics: examples from
// etcd's range_perm_cache tests' rules, and a property test against a dumb oracle that checks
// every key of a finite universe one by one.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  covers,
  isValidPermissionRange,
  mergeIntervals,
  mergePermissions,
  type Permission,
  type PermissionType,
  rangePermitted,
} from "../../src/kv/auth-perms.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const perm = (permType: PermissionType, key: string, rangeEnd = ""): Permission => ({
  permType,
  key: b(key),
  rangeEnd: b(rangeEnd),
});
const allowed = (perms: Permission[], kind: "read" | "write", key: string, rangeEnd = ""): boolean =>
  rangePermitted(mergePermissions(perms), kind, b(key), b(rangeEnd));

describe("permission ranges (etcd semantics)", () => {
  it("a single-key permission covers that key only", () => {
    const perms = [perm("READ", "a")];
    expect(allowed(perms, "read", "a")).toBe(true);
    expect(allowed(perms, "read", "a\0")).toBe(false);
    expect(allowed(perms, "read", "b")).toBe(false);
    // The range [a, a\0) holds only "a".
    expect(allowed(perms, "read", "a", "a\0")).toBe(true);
    expect(allowed(perms, "read", "a", "b")).toBe(false);
    expect(allowed(perms, "write", "a")).toBe(false);
  });

  it("a prefix permission (etcdctl --prefix: range_end = prefix + 1) covers the prefix only", () => {
    const perms = [perm("READWRITE", "/app/", "/app0")];
    expect(allowed(perms, "read", "/app/")).toBe(true);
    expect(allowed(perms, "write", "/app/x/y")).toBe(true);
    expect(allowed(perms, "read", "/app/", "/app0")).toBe(true);
    expect(allowed(perms, "read", "/app/a", "/app/b")).toBe(true);
    expect(allowed(perms, "read", "/app")).toBe(false);
    expect(allowed(perms, "read", "/app0")).toBe(false);
    expect(allowed(perms, "read", "/", "0")).toBe(false);
    // From /app/ to the end of the keyspace is more than the prefix.
    expect(allowed(perms, "read", "/app/", "\0")).toBe(false);
  });

  it('range_end "\\0" means every key from the key on', () => {
    const perms = [perm("WRITE", "m", "\0")];
    expect(allowed(perms, "write", "m")).toBe(true);
    expect(allowed(perms, "write", "zzzz")).toBe(true);
    expect(allowed(perms, "write", "m", "\0")).toBe(true);
    expect(allowed(perms, "write", "l")).toBe(false);
    expect(allowed(perms, "write", "\0", "\0")).toBe(false);
    expect(allowed([perm("READ", "\0", "\0")], "read", "\0", "\0")).toBe(true);
  });

  it("adjacent and overlapping permissions of several roles cover their union", () => {
    const perms = [perm("READ", "a", "c"), perm("READWRITE", "c", "e"), perm("READ", "d", "g")];
    expect(allowed(perms, "read", "a", "g")).toBe(true);
    expect(allowed(perms, "read", "b", "f")).toBe(true);
    expect(allowed(perms, "read", "a", "g\0")).toBe(false);
    expect(allowed(perms, "write", "c", "e")).toBe(true);
    expect(allowed(perms, "write", "b", "e")).toBe(false);
    // A gap of one key breaks coverage.
    const gap = [perm("READ", "a", "b"), perm("READ", "b\0", "c")];
    expect(allowed(gap, "read", "a", "c")).toBe(false);
    expect(allowed([...gap, perm("READ", "b")], "read", "a", "c")).toBe(true);
  });

  it("an empty request range is refused", () => {
    const perms = [perm("READ", "a", "z")];
    expect(allowed(perms, "read", "m", "c")).toBe(false);
    expect(allowed(perms, "read", "m", "m")).toBe(false);
  });

  it("validates permission ranges as etcd", () => {
    expect(isValidPermissionRange(b("a"), b(""))).toBe(true);
    expect(isValidPermissionRange(b("a"), b("b"))).toBe(true);
    expect(isValidPermissionRange(b("a"), b("\0"))).toBe(true);
    expect(isValidPermissionRange(b(""), b("b"))).toBe(false);
    expect(isValidPermissionRange(b("b"), b("a"))).toBe(false);
    expect(isValidPermissionRange(b("b"), b("b"))).toBe(false);
  });

  it("merges intervals into sorted, disjoint, non-touching ones", () => {
    const merged = mergeIntervals([
      { begin: b("c"), end: b("d") },
      { begin: b("a"), end: b("b") },
      { begin: b("b"), end: b("c") },
      { begin: b("x"), end: null },
      { begin: b("y"), end: b("z") },
      { begin: b("q"), end: b("p") },
    ]);
    expect(merged.map((i) => [i.begin.toString(), i.end?.toString() ?? null])).toEqual([
      ["a", "d"],
      ["x", null],
    ]);
    expect(covers(merged, { begin: b("a"), end: b("d") })).toBe(true);
    expect(covers(merged, { begin: b("x"), end: null })).toBe(true);
    expect(covers(merged, { begin: b("w"), end: null })).toBe(false);
  });
});

// ---- Property test against a dumb oracle ----
//
// Keys are strings over {0x00, "a", "b"} of length 1..3; permission and request bounds are drawn
// from them. The oracle enumerates every key of length 1..4 (long enough to hold key + "\0" of
// every bound, so any gap between two bounds contains a key of the universe) and checks each one
// against each permission directly. A request is permitted when it contains at least one key and
// every key it contains is in some permission of the right type.

const ALPHABET = ["\0", "a", "b"];

function allKeys(maxLength: number): string[] {
  const out: string[] = [];
  let level = [""];
  for (let length = 1; length <= maxLength; length++) {
    level = level.flatMap((prefix) => ALPHABET.map((c) => prefix + c));
    out.push(...level);
  }
  return out;
}

const UNIVERSE = allKeys(4);

function cmp(x: string, y: string): number {
  return Buffer.compare(b(x), b(y));
}

/** Whether `key` is in the range (key, rangeEnd) as etcd reads it. */
function inRange(key: string, start: string, rangeEnd: string): boolean {
  if (rangeEnd === "") return key === start;
  if (rangeEnd === "\0") return cmp(key, start) >= 0;
  return cmp(key, start) >= 0 && cmp(key, rangeEnd) < 0;
}

function oracle(perms: Permission[], kind: "read" | "write", key: string, rangeEnd: string): boolean {
  const usable = perms.filter((p) => (kind === "read" ? p.permType !== "WRITE" : p.permType !== "READ"));
  const wanted = UNIVERSE.filter((k) => inRange(k, key, rangeEnd));
  if (wanted.length === 0) return false;
  return wanted.every((k) =>
    usable.some((p) => inRange(k, p.key.toString("latin1"), p.rangeEnd.toString("latin1"))),
  );
}

const keyArb = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 3 })
  .map((chars) => chars.join(""));
/** A range_end: empty (one key), "\0" (to the end), or another key. */
const rangeEndArb = fc.oneof(fc.constant(""), fc.constant("\0"), keyArb);
const permArb = fc
  .record({
    permType: fc.constantFrom<PermissionType>("READ", "WRITE", "READWRITE"),
    key: keyArb,
    rangeEnd: rangeEndArb,
  })
  .filter((p) => isValidPermissionRange(b(p.key), b(p.rangeEnd)))
  .map((p) => perm(p.permType, p.key, p.rangeEnd));

describe("permission checks match a key-by-key oracle", () => {
  it("for any permissions and any request range", () => {
    fc.assert(
      fc.property(
        fc.array(permArb, { maxLength: 6 }),
        fc.constantFrom<"read" | "write">("read", "write"),
        keyArb,
        rangeEndArb,
        (perms, kind, key, rangeEnd) => {
          expect(allowed(perms, kind, key, rangeEnd)).toBe(oracle(perms, kind, key, rangeEnd));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
