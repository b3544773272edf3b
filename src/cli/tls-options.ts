// TLS flags, with etcd's names: --cert-file, --key-file, --trusted-ca-file, --client-cert-auth
// for the client port (and an https:// --listen-metrics), their --peer-* twins for Raft between
// members. A listen address with https:// serves TLS; one with http:// serves plain text; one
// with no scheme serves TLS when the certificate flags are given.

import { Option } from "commander";
import { ConfigError } from "../node/config.js";
import { DEFAULT_TLS_RELOAD_MS, type TlsFiles } from "../tls/certificates.js";

export function tlsOptions(): Option[] {
  const opt = (flags: string, description: string, env: string): Option =>
    new Option(flags, description).env(env);
  return [
    opt("--cert-file <path>", "client port: PEM certificate (TLS)", "RAFTKV_CERT_FILE"),
    opt("--key-file <path>", "client port: PEM private key of --cert-file", "RAFTKV_KEY_FILE"),
    opt(
      "--trusted-ca-file <path>",
      "client port: PEM CA bundle that signs client certificates",
      "RAFTKV_TRUSTED_CA_FILE",
    ),
    opt(
      "--client-cert-auth",
      "client port: refuse clients without a certificate signed by --trusted-ca-file",
      "RAFTKV_CLIENT_CERT_AUTH",
    ),
    opt("--peer-cert-file <path>", "peer port: PEM certificate (mutual TLS)", "RAFTKV_PEER_CERT_FILE"),
    opt("--peer-key-file <path>", "peer port: PEM private key of --peer-cert-file", "RAFTKV_PEER_KEY_FILE"),
    opt(
      "--peer-trusted-ca-file <path>",
      "peer port: PEM CA bundle that signs the members' certificates",
      "RAFTKV_PEER_TRUSTED_CA_FILE",
    ),
    opt(
      "--peer-client-cert-auth",
      "peer port: refuse members without a certificate signed by --peer-trusted-ca-file",
      "RAFTKV_PEER_CLIENT_CERT_AUTH",
    ),
    opt(
      "--tls-reload-ms <ms>",
      "how often the certificate files are checked for changes",
      "RAFTKV_TLS_RELOAD_MS",
    ).default(String(DEFAULT_TLS_RELOAD_MS)),
  ];
}

function scheme(value: string): "http" | "https" | null {
  const m = /^([a-z]+):\/\//i.exec(value.trim());
  if (m === null) return null;
  const s = m[1]!.toLowerCase();
  if (s !== "http" && s !== "https") throw new ConfigError(`${value}: unsupported scheme ${s}://`);
  return s;
}

export interface TlsConfig {
  readonly clientTls?: TlsFiles;
  readonly peerTls?: TlsFiles;
  readonly metricsTls?: TlsFiles;
  readonly tlsReloadMs: number;
  /** "https" when clients reach this member over TLS. */
  readonly clientScheme: "http" | "https";
  readonly peerScheme: "http" | "https";
}

function files(
  o: Record<string, unknown>,
  prefix: "" | "peer",
  wanted: boolean,
  what: string,
): TlsFiles | undefined {
  const key = (name: string): string =>
    prefix === "" ? name : `peer${name[0]!.toUpperCase()}${name.slice(1)}`;
  const flag = (name: string): string => `--${prefix === "" ? "" : "peer-"}${name}`;
  const certFile = String(o[key("certFile")] ?? "");
  const keyFile = String(o[key("keyFile")] ?? "");
  const trustedCaFile = String(o[key("trustedCaFile")] ?? "");
  const clientCertAuth = o[key("clientCertAuth")] === true || o[key("clientCertAuth")] === "true";
  if (!wanted) return undefined;
  if (certFile === "" || keyFile === "") {
    throw new ConfigError(`${what} needs ${flag("cert-file")} and ${flag("key-file")}`);
  }
  if (clientCertAuth && trustedCaFile === "") {
    throw new ConfigError(`${flag("client-cert-auth")} needs ${flag("trusted-ca-file")}`);
  }
  if (prefix === "peer" && trustedCaFile === "") {
    throw new ConfigError("peer TLS is mutual: it needs --peer-trusted-ca-file");
  }
  return { certFile, keyFile, trustedCaFile, clientCertAuth };
}

/** Decides TLS for each port from the listen/peer URLs and the certificate flags. */
export function tlsConfig(o: Record<string, unknown>): TlsConfig {
  const s = (k: string): string => String(o[k] ?? "");
  const reload = Number(s("tlsReloadMs") || DEFAULT_TLS_RELOAD_MS);
  if (!Number.isSafeInteger(reload) || reload <= 0) {
    throw new ConfigError(`--tls-reload-ms: "${s("tlsReloadMs")}" is not a positive integer`);
  }
  const clientScheme =
    scheme(s("listenClient")) ?? scheme(s("advertiseClient")) ?? (s("certFile") !== "" ? "https" : "http");
  const peerUrls = [s("listenPeer"), s("advertisePeer"), ...s("peers").split(",")];
  const peerSchemes = new Set(
    peerUrls
      .map((u) => u.replace(/^[^=]*=(?=[a-z]+:\/\/)/i, ""))
      .map(scheme)
      .filter((x) => x !== null),
  );
  if (peerSchemes.size > 1) throw new ConfigError("peer URLs mix http:// and https://");
  const peerScheme = [...peerSchemes][0] ?? (s("peerCertFile") !== "" ? "https" : "http");
  const metricsScheme = scheme(s("listenMetrics"));
  const clientTls = files(o, "", clientScheme === "https", "an https:// client URL");
  const metricsFiles = files(o, "", metricsScheme === "https", "an https:// --listen-metrics");
  return {
    clientTls,
    peerTls: files(o, "peer", peerScheme === "https", "an https:// peer URL"),
    // Probes and scrapers rarely hold client certificates: the metrics port asks for none.
    metricsTls: metricsFiles && { ...metricsFiles, clientCertAuth: false },
    tlsReloadMs: reload,
    clientScheme,
    peerScheme,
  };
}
