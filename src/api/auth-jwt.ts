// JWT auth tokens (etcd's `--auth-token jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…`), signed
// and verified with node:crypto. The claims are etcd's: `username`, `revision` (the auth revision
// at issue; a token older than the store is refused with "revision of auth store is old", and
// clients authenticate again) and `exp` (Unix seconds). Stateless: any member with the public key
// verifies a token another member signed. Without priv-key a member only verifies (etcd 3.5).
//
// Supported sign methods: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA. HMAC (HS*) is
// refused: a shared secret in a file is not what etcd users deploy, and it would need a different
// key handling.

import { constants, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AuthChanges } from "../kv/auth.js";

export type JwtSignMethod =
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA";

export interface JwtTokenOptions {
  type: "jwt";
  signMethod: JwtSignMethod;
  publicKeyFile: string;
  /** Absent: this member verifies tokens but cannot issue them. */
  privateKeyFile?: string;
  ttlMs: number;
}

/** etcd's default JWT ttl: 5 minutes. */
const DEFAULT_JWT_TTL_MS = 5 * 60 * 1000;

interface MethodSpec {
  digest: string | null;
  padding?: number;
  saltLength?: number;
  dsaEncoding?: "ieee-p1363";
  keyType: "rsa" | "ec" | "ed25519";
}

const METHODS: Readonly<Record<JwtSignMethod, MethodSpec>> = {
  RS256: { digest: "sha256", keyType: "rsa" },
  RS384: { digest: "sha384", keyType: "rsa" },
  RS512: { digest: "sha512", keyType: "rsa" },
  PS256: { digest: "sha256", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32, keyType: "rsa" },
  PS384: { digest: "sha384", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48, keyType: "rsa" },
  PS512: { digest: "sha512", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64, keyType: "rsa" },
  ES256: { digest: "sha256", dsaEncoding: "ieee-p1363", keyType: "ec" },
  ES384: { digest: "sha384", dsaEncoding: "ieee-p1363", keyType: "ec" },
  ES512: { digest: "sha512", dsaEncoding: "ieee-p1363", keyType: "ec" },
  EdDSA: { digest: null, keyType: "ed25519" },
};

/** A Go duration as etcd's flags take it ("5m", "1h30m", "300s", "1500ms"), in milliseconds. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  if (text.length === 0 || at !== text.length)
    throw new TypeError(`"${text}" is not a duration (e.g. 5m, 300s)`);
  return total;
}

/** The jwt options of --auth-token (after "jwt,"). Throws a TypeError naming the problem. */
export function parseJwtOptions(options: ReadonlyMap<string, string>): JwtTokenOptions {
  for (const key of options.keys()) {
    if (!["pub-key", "priv-key", "sign-method", "ttl"].includes(key)) {
      throw new TypeError(`--auth-token jwt: unknown option "${key}" (pub-key, priv-key, sign-method, ttl)`);
    }
  }
  const signMethod = options.get("sign-method");
  if (signMethod === undefined) throw new TypeError("--auth-token jwt needs sign-method=… (e.g. RS256)");
  if (!(signMethod in METHODS)) {
    throw new TypeError(
      `--auth-token jwt: sign-method "${signMethod}" is not supported (${Object.keys(METHODS).join(", ")})`,
    );
  }
  const publicKeyFile = options.get("pub-key");
  if (publicKeyFile === undefined || publicKeyFile === "") {
    throw new TypeError("--auth-token jwt needs pub-key=<PEM file>");
  }
  const privateKeyFile = options.get("priv-key");
  const ttl = options.get("ttl");
  let ttlMs = DEFAULT_JWT_TTL_MS;
  if (ttl !== undefined) {
    try {
      ttlMs = parseGoDuration(ttl);
    } catch (err) {
      throw new TypeError(`--auth-token jwt: ttl ${(err as Error).message}`);
    }
    if (!(ttlMs >= 1000)) throw new TypeError("--auth-token jwt: ttl must be at least 1s");
  }
  return {
    type: "jwt",
    signMethod: signMethod as JwtSignMethod,
    publicKeyFile,
    ...(privateKeyFile === undefined || privateKeyFile === "" ? {} : { privateKeyFile }),
    ttlMs,
  };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export class JwtTokens {
  readonly type = "jwt" as const;
  readonly size = 0;
  readonly #method: JwtSignMethod;
  readonly #spec: MethodSpec;
  readonly #publicKey: KeyObject;
  readonly #privateKey: KeyObject | undefined;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #header: string;

  constructor(
    options: { signMethod: JwtSignMethod; publicKey: KeyObject; privateKey?: KeyObject; ttlMs: number },
    now: () => number = Date.now,
  ) {
    this.#method = options.signMethod;
    this.#spec = METHODS[options.signMethod];
    this.#publicKey = options.publicKey;
    this.#privateKey = options.privateKey;
    this.#ttlMs = options.ttlMs;
    this.#now = now;
    this.#header = b64url(JSON.stringify({ alg: options.signMethod, typ: "JWT" }));
    const type = options.publicKey.asymmetricKeyType;
    if (type !== this.#spec.keyType && !(this.#spec.keyType === "rsa" && type === "rsa-pss")) {
      throw new TypeError(`--auth-token jwt: a ${type} key cannot sign ${options.signMethod}`);
    }
    if (options.privateKey !== undefined) {
      // The pair must match: a token this member signs must verify.
      const probe = Buffer.from("raftkv");
      if (!verify(this.#spec.digest, probe, this.#keyOptions(options.publicKey), this.#sign(probe))) {
        throw new TypeError("--auth-token jwt: the public and private keys do not match");
      }
    }
  }

  /** Reads the PEM key files the options name; throws naming the file it cannot use. */
  static fromFiles(options: JwtTokenOptions): JwtTokens {
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new TypeError(`--auth-token jwt: cannot read ${what} ${file}: ${(err as Error).message}`);
      }
    };
    let publicKey: KeyObject;
    let privateKey: KeyObject | undefined;
    try {
      publicKey = createPublicKey(read(options.publicKeyFile, "pub-key"));
      if (options.privateKeyFile !== undefined) {
        privateKey = createPrivateKey(read(options.privateKeyFile, "priv-key"));
      }
    } catch (err) {
      if (err instanceof TypeError && err.message.startsWith("--auth-token")) throw err;
      throw new TypeError(`--auth-token jwt: not a PEM key: ${(err as Error).message}`);
    }
    return new JwtTokens({
      signMethod: options.signMethod,
      publicKey,
      ...(privateKey === undefined ? {} : { privateKey }),
      ttlMs: options.ttlMs,
    });
  }

  #keyOptions(key: KeyObject) {
    const spec = this.#spec;
    return {
      key,
      ...(spec.padding === undefined ? {} : { padding: spec.padding, saltLength: spec.saltLength }),
      ...(spec.dsaEncoding === undefined ? {} : { dsaEncoding: spec.dsaEncoding }),
    };
  }

  #sign(data: Buffer): Buffer {
    if (this.#privateKey === undefined) {
      throw new Error("raftkv: this member has no JWT private key (priv-key): it can only verify tokens");
    }
    return sign(this.#spec.digest, data, this.#keyOptions(this.#privateKey));
  }

  newToken(): string {
    return "";
  }

  /** A signed token for `user` at auth revision `revision`, expiring after the ttl. */
  issue(user: string, revision: number, _proposed: string): string {
    const exp = Math.floor((this.#now() + this.#ttlMs) / 1000);
    const payload = b64url(JSON.stringify({ username: user, revision, exp }));
    const signed = `${this.#header}.${payload}`;
    return `${signed}.${this.#sign(Buffer.from(signed)).toString("base64url")}`;
  }

  /** The user and revision of a valid, unexpired token this key signed; undefined otherwise. */
  info(token: string): { username: string; revision: number } | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    let claims: { username?: unknown; revision?: unknown; exp?: unknown };
    try {
      const head = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown };
      if (head.alg !== this.#method) return undefined;
      const ok = verify(
        this.#spec.digest,
        Buffer.from(`${header}.${payload}`),
        this.#keyOptions(this.#publicKey),
        Buffer.from(signature, "base64url"),
      );
      if (!ok) return undefined;
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof claims;
    } catch {
      return undefined;
    }
    const { username, revision, exp } = claims;
    if (typeof username !== "string" || typeof revision !== "number" || typeof exp !== "number") {
      return undefined;
    }
    if (exp * 1000 <= this.#now()) return undefined;
    return { username, revision };
  }

  applied(_changes: AuthChanges): void {}

  close(): void {}
}
