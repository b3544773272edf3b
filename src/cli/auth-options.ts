// The authentication flags, with etcd's names: --auth-token and --auth-token-ttl.

import { Option } from "commander";
import {
  type AuthTokenOptions,
  DEFAULT_AUTH_TOKEN_TTL_SECONDS,
  parseAuthTokenOption,
} from "../api/auth-tokens.js";
import { type AuthConfig, ConfigError } from "../node/config.js";

export function authOptions(): Option[] {
  return [
    new Option("--auth-token <type>", "auth token type, etcd's syntax: simple (jwt is not supported yet)")
      .env("RAFTKV_AUTH_TOKEN")
      .default("simple"),
    new Option("--auth-token-ttl <seconds>", "a simple token expires after this long unused")
      .env("RAFTKV_AUTH_TOKEN_TTL")
      .default(String(DEFAULT_AUTH_TOKEN_TTL_SECONDS)),
  ];
}

/** The auth configuration from parsed options; `clientCertAuth` comes from the TLS flags. */
export function authConfigFromOptions(o: Record<string, unknown>): AuthConfig {
  const ttlText = String(o.authTokenTtl ?? DEFAULT_AUTH_TOKEN_TTL_SECONDS);
  const ttlSeconds = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || !(ttlSeconds > 0)) {
    throw new ConfigError(`--auth-token-ttl must be a positive whole number of seconds, got "${ttlText}"`);
  }
  let tokens: AuthTokenOptions;
  try {
    tokens = parseAuthTokenOption(String(o.authToken ?? "simple"), ttlSeconds);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return { tokens, clientCertAuth: o.clientCertAuth === true };
}
