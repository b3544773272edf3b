// Simple tokens (src/api/auth-tokens.ts) on an injected clock, --auth-token parsing, and the
// password hashes (src/api/auth-password.ts).

import { afterEach, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/api/auth-password.js";
import { parseAuthTokenOption, SimpleTokens } from "../../src/api/auth-tokens.js";

const changes = (tokens: { token: string; user: string }[], invalidated: string[] = [], allVoid = false) => ({
  tokens,
  invalidated,
  allVoid,
});

describe("simple tokens", () => {
  let now = 1_000_000;
  const providers: SimpleTokens[] = [];
  const provider = (ttlMs: number): SimpleTokens => {
    const p = new SimpleTokens(ttlMs, () => now);
    providers.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of providers.splice(0)) p.close();
  });

  it("a token names its user until it is unused for the TTL; each use restarts the TTL", () => {
    const tokens = provider(5000);
    tokens.applied(changes([{ token: "t", user: "alice" }]));
    expect(tokens.info("t")).toEqual({ username: "alice" });
    now += 4000;
    expect(tokens.info("t")).toEqual({ username: "alice" });
    now += 4000; // 8 s after assignment, 4 s after the last use
    expect(tokens.info("t")).toEqual({ username: "alice" });
    now += 5000;
    expect(tokens.info("t")).toBeUndefined();
    expect(tokens.size).toBe(0);
    expect(tokens.info("never")).toBeUndefined();
  });

  it("the sweep forgets expired tokens that are never used again", () => {
    const tokens = provider(1000);
    tokens.applied(changes([{ token: "a", user: "u" }]));
    now += 500;
    tokens.applied(changes([{ token: "b", user: "u" }]));
    now += 600;
    tokens.sweep();
    expect(tokens.size).toBe(1);
    expect(tokens.info("b")).toEqual({ username: "u" });
  });

  it("deleting a user or changing its password voids its tokens; disabling auth voids all", () => {
    const tokens = provider(60_000);
    tokens.applied(
      changes([
        { token: "a1", user: "alice" },
        { token: "b1", user: "bob" },
      ]),
    );
    tokens.applied(changes([], ["alice"]));
    expect(tokens.info("a1")).toBeUndefined();
    expect(tokens.info("b1")).toEqual({ username: "bob" });
    tokens.applied(changes([], [], true));
    expect(tokens.info("b1")).toBeUndefined();
  });

  it("tokens are random and distinct", () => {
    const tokens = provider(1000);
    const seen = new Set(Array.from({ length: 100 }, () => tokens.newToken()));
    expect(seen.size).toBe(100);
    for (const t of seen) expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("--auth-token", () => {
  it("simple, with the TTL", () => {
    expect(parseAuthTokenOption("simple", 300)).toEqual({ type: "simple", ttlMs: 300_000 });
  });

  it("jwt, etcd's syntax", () => {
    expect(parseAuthTokenOption("jwt,pub-key=/k.pub,priv-key=/k,sign-method=RS256,ttl=1h30m", 300)).toEqual({
      type: "jwt",
      signMethod: "RS256",
      publicKeyFile: "/k.pub",
      privateKeyFile: "/k",
      ttlMs: 90 * 60_000,
    });
    expect(parseAuthTokenOption("jwt,pub-key=/k.pub,sign-method=ES256", 300)).toEqual({
      type: "jwt",
      signMethod: "ES256",
      publicKeyFile: "/k.pub",
      ttlMs: 300_000,
    });
  });

  it("refuses what it cannot serve, naming the problem", () => {
    expect(() => parseAuthTokenOption("jwt,pub-key=a,priv-key=b", 300)).toThrow(/sign-method/);
    expect(() => parseAuthTokenOption("jwt,pub-key=a,sign-method=HS256", 300)).toThrow(
      /HS256.*not supported/,
    );
    expect(() => parseAuthTokenOption("jwt,sign-method=RS256", 300)).toThrow(/pub-key/);
    expect(() => parseAuthTokenOption("jwt,pub-key=a,sign-method=RS256,ttl=soon", 300)).toThrow(/ttl/);
    expect(() => parseAuthTokenOption("jwt,pub-key=a,sign-method=RS256,color=red", 300)).toThrow(
      /unknown option/,
    );
    expect(() => parseAuthTokenOption("opaque", 300)).toThrow(/unknown token type "opaque"/);
    expect(() => parseAuthTokenOption("simple,x", 300)).toThrow(/not key=value/);
    expect(() => parseAuthTokenOption("simple,a=1,a=2", 300)).toThrow(/given twice/);
    expect(() => parseAuthTokenOption("simple", 0)).toThrow(/--auth-token-ttl/);
  });
});

describe("password hashes", () => {
  it("are salted scrypt, verify the password and nothing else", async () => {
    const one = await hashPassword("s3cret");
    const two = await hashPassword("s3cret");
    expect(one).not.toBe(two);
    expect(one).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(one).not.toContain("s3cret");
    expect(await verifyPassword("s3cret", one)).toBe(true);
    expect(await verifyPassword("s3cret", Buffer.from(two))).toBe(true);
    expect(await verifyPassword("s3cret!", one)).toBe(false);
    expect(await verifyPassword("", one)).toBe(false);
  });

  it("a malformed or hostile stored hash matches nothing", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "plain")).toBe(false);
    expect(await verifyPassword("x", "scrypt$1048577$8$1$AAAA$AAAA")).toBe(false);
    expect(await verifyPassword("x", "scrypt$16384$8$1$AAAA$AAAA")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$16384$8$1$AAAA$AAAA")).toBe(false);
  });
});
