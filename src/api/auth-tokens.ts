// Auth tokens: etcd's `--auth-token` providers. Soft state of each member, never stored.
//
// simple (the default, as etcd): a random token assigned by an Authenticate entry applied
//   through Raft, so every member learns it (AuthChanges.tokens) and a client may use it on any
//   member. It expires after `ttlMs` without use (etcd's --auth-token-ttl, default 300 s); each use
//   restarts that clock, as etcd's simple token keeper does. Deleting a user or changing its
//   password voids its tokens; disabling auth voids all. A restarted member knows no token.
//
// jwt ("jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…", etcd's syntax): a signed JSON Web Token
//   (./auth-jwt.ts) carrying the user name, the auth revision it was issued at and its expiry.
//   Any member holding the public key verifies it; no state at all.
import { randomBytes } from "node:crypto";
import type { AuthChanges } from "../kv/auth.js";
import { type JwtTokenOptions, JwtTokens, parseJwtOptions } from "./auth-jwt.js";

/** The caller a valid token names. */
export interface TokenInfo {
  username: string;
  /** The auth revision a JWT was issued at (simple tokens follow the store: none). */
  revision?: number;
}

export interface TokenProvider {
  readonly type: "simple" | "jwt";
  /**
   * The token an Authenticate proposal carries, chosen by the member that checked the password
   * ("" for JWT: nothing to replicate).
   */
  newToken(): string;
  /** The token to answer Authenticate with, once its entry applied (`proposed`: newToken()'s). */
  issue(user: string, revision: number, proposed: string): string;
  /** The user a token names; undefined when unknown or expired. A use restarts a simple token's TTL. */
  info(token: string): TokenInfo | undefined;
  /** Follows the applied auth changes (the KV state machine's onApplied). */
  applied(changes: AuthChanges): void;
  /** Live tokens (a gauge). */
  readonly size: number;
  /** Stops the expiry sweep. */
  close(): void;
}

export type AuthTokenOptions =
  | {
      type: "simple";
      /** Simple tokens expire after this long without use. */
      ttlMs: number;
    }
  | JwtTokenOptions;

/** etcd's default --auth-token-ttl: 300 s. */
export const DEFAULT_AUTH_TOKEN_TTL_SECONDS = 300;

/**
 * Parses etcd's --auth-token value: a type, then comma-separated key=value options (etcd's
 * decomposeOpts: each option once, each with one "="). Throws a TypeError naming the problem.
 */
export function parseAuthTokenOption(value: string, ttlSeconds: number): AuthTokenOptions {
  const [type, ...rest] = value.split(",");
  const options = new Map<string, string>();
  for (const pair of rest) {
    const parts = pair.split("=");
    if (parts.length !== 2 || parts[0] === "") {
      throw new TypeError(`--auth-token: option "${pair}" is not key=value`);
    }
    if (options.has(parts[0]!)) throw new TypeError(`--auth-token: option "${parts[0]}" given twice`);
    options.set(parts[0]!, parts[1]!);
  }
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError(`--auth-token-ttl must be a positive number of seconds, got ${ttlSeconds}`);
  }
  if (type === "simple") {
    if (options.size > 0) throw new TypeError("--auth-token simple takes no options");
    return { type: "simple", ttlMs: ttlSeconds * 1000 };
  }
  if (type === "jwt") return parseJwtOptions(options);
  throw new TypeError(`--auth-token: unknown token type "${type}" (simple or jwt)`);
}

interface SimpleToken {
  user: string;
  expiresAtMs: number;
}

/** The simple token provider. `now` is injectable for tests (milliseconds). */
export class SimpleTokens implements TokenProvider {
  readonly type = "simple" as const;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #tokens = new Map<string, SimpleToken>();
  readonly #sweep: NodeJS.Timeout;

  constructor(ttlMs: number, now: () => number = Date.now) {
    if (!(ttlMs > 0)) throw new TypeError("simple token TTL must be positive");
    this.#ttlMs = ttlMs;
    this.#now = now;
    // Expired tokens are forgotten even if never used again (bounded memory).
    this.#sweep = setInterval(() => this.sweep(), Math.min(1000, ttlMs));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#tokens.size;
  }

  newToken(): string {
    // 128 random bits, URL-safe (it travels as gRPC metadata and HTTP headers).
    return randomBytes(16).toString("base64url");
  }

  issue(_user: string, _revision: number, proposed: string): string {
    return proposed;
  }

  info(token: string): TokenInfo | undefined {
    const entry = this.#tokens.get(token);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.expiresAtMs <= now) {
      this.#tokens.delete(token);
      return undefined;
    }
    entry.expiresAtMs = now + this.#ttlMs;
    return { username: entry.user };
  }

  applied(changes: AuthChanges): void {
    if (changes.allVoid) this.#tokens.clear();
    if (changes.invalidated.length > 0) {
      const users = new Set(changes.invalidated);
      for (const [token, entry] of this.#tokens) if (users.has(entry.user)) this.#tokens.delete(token);
    }
    const expiresAtMs = this.#now() + this.#ttlMs;
    for (const { token, user } of changes.tokens) this.#tokens.set(token, { user, expiresAtMs });
  }

  /** Forgets every expired token. */
  sweep(): void {
    const now = this.#now();
    for (const [token, entry] of this.#tokens) if (entry.expiresAtMs <= now) this.#tokens.delete(token);
  }

  close(): void {
    clearInterval(this.#sweep);
  }
}

/** The provider --auth-token names. Reads JWT key files (throws naming a file it cannot use). */
export function createTokenProvider(options: AuthTokenOptions): TokenProvider {
  return options.type === "jwt" ? JwtTokens.fromFiles(options) : new SimpleTokens(options.ttlMs);
}
