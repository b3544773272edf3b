// JWT auth tokens (src/api/auth-jwt.ts): each sign method signs what it verifies; tampered,
// expired, foreign-key and wrong-algorithm tokens are refused; key files are checked at start.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type JwtSignMethod, JwtTokens, parseGoDuration } from "../../src/api/auth-jwt.js";

function pair(method: JwtSignMethod): { publicKey: KeyObject; privateKey: KeyObject } {
  if (method.startsWith("ES")) {
    const curve = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" }[method as "ES256"];
    return generateKeyPairSync("ec", { namedCurve: curve });
  }
  if (method === "EdDSA") return generateKeyPairSync("ed25519");
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

const dir = mkdtempSync(join(tmpdir(), "raftkv-jwt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("JWT tokens", () => {
  const methods: JwtSignMethod[] = ["RS256", "PS384", "ES256", "ES512", "EdDSA"];
  for (const method of methods) {
    it(`${method}: a token names its user and revision until it expires`, () => {
      let now = 1_700_000_000_000;
      const keys = pair(method);
      const tokens = new JwtTokens({ signMethod: method, ...keys, ttlMs: 60_000 }, () => now);
      const token = tokens.issue("alice", 7, "");
      expect(token.split(".")).toHaveLength(3);
      const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
      expect(claims).toEqual({ username: "alice", revision: 7, exp: 1_700_000_060 });
      expect(tokens.info(token)).toEqual({ username: "alice", revision: 7 });
      // Another member with only the public key verifies it.
      const verifier = new JwtTokens(
        { signMethod: method, publicKey: keys.publicKey, ttlMs: 60_000 },
        () => now,
      );
      expect(verifier.info(token)).toEqual({ username: "alice", revision: 7 });
      expect(() => verifier.issue("alice", 7, "")).toThrow(/priv-key/);
      now += 60_000;
      expect(tokens.info(token)).toBeUndefined();
    });
  }

  it("refuses tampered, foreign and wrong-algorithm tokens", () => {
    const keys = pair("RS256");
    const tokens = new JwtTokens({ signMethod: "RS256", ...keys, ttlMs: 60_000 });
    const token = tokens.issue("alice", 1, "");
    const [h, , sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ username: "root", revision: 1, exp: 9e9 })).toString(
      "base64url",
    );
    expect(tokens.info(`${h}.${forged}.${sig}`)).toBeUndefined();
    const other = new JwtTokens({ signMethod: "RS256", ...pair("RS256"), ttlMs: 60_000 });
    expect(other.info(token)).toBeUndefined();
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    expect(tokens.info(`${none}.${token.split(".")[1]}.`)).toBeUndefined();
    expect(tokens.info("garbage")).toBeUndefined();
    expect(tokens.info("a.b.c")).toBeUndefined();
  });

  it("checks keys: type for the method, and a matching pair", () => {
    const rsa = pair("RS256");
    expect(() => new JwtTokens({ signMethod: "ES256", ...rsa, ttlMs: 1000 })).toThrow(/cannot sign ES256/);
    expect(
      () =>
        new JwtTokens({
          signMethod: "RS256",
          publicKey: rsa.publicKey,
          privateKey: pair("RS256").privateKey,
          ttlMs: 1000,
        }),
    ).toThrow(/do not match/);
  });

  it("reads PEM files, naming a file it cannot use", () => {
    const keys = pair("ES256");
    const pub = join(dir, "k.pub");
    const priv = join(dir, "k.pem");
    writeFileSync(pub, keys.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(priv, keys.privateKey.export({ type: "pkcs8", format: "pem" }));
    const tokens = JwtTokens.fromFiles({
      type: "jwt",
      signMethod: "ES256",
      publicKeyFile: pub,
      privateKeyFile: priv,
      ttlMs: 1000,
    });
    expect(tokens.info(tokens.issue("u", 1, ""))?.username).toBe("u");
    expect(() =>
      JwtTokens.fromFiles({
        type: "jwt",
        signMethod: "ES256",
        publicKeyFile: join(dir, "missing"),
        ttlMs: 1000,
      }),
    ).toThrow(/cannot read pub-key .*missing/);
    writeFileSync(join(dir, "junk"), "not a key");
    expect(() =>
      JwtTokens.fromFiles({
        type: "jwt",
        signMethod: "ES256",
        publicKeyFile: join(dir, "junk"),
        ttlMs: 1000,
      }),
    ).toThrow(/not a PEM key/);
  });

  it("parses Go durations as etcd's ttl", () => {
    expect(parseGoDuration("5m")).toBe(300_000);
    expect(parseGoDuration("1h30m")).toBe(5_400_000);
    expect(parseGoDuration("1500ms")).toBe(1500);
    expect(() => parseGoDuration("5")).toThrow();
    expect(() => parseGoDuration("")).toThrow();
    expect(() => parseGoDuration("5m later")).toThrow();
  });
});
