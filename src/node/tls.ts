// This member's TLS: the certificate watchers of the client, peer and metrics ports (reloaded
// when the files change), the credentials this member uses as a client of other members' client
// ports (lease forwarding, joining), and the URL schemes it advertises.

import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import { CertificateWatcher, type TlsFiles } from "../tls/certificates.js";
import { reloadingChannelCredentials } from "../tls/grpc-credentials.js";
import type { NodeConfig } from "./config.js";
import type { Logger } from "./logger.js";

export interface NodeTls {
  readonly client?: CertificateWatcher;
  readonly peer?: CertificateWatcher;
  readonly metrics?: CertificateWatcher;
  /** For calls to other members' client ports; undefined: plain text. */
  readonly clientCredentials?: ChannelCredentials;
  close(): void;
}

export function clientScheme(config: NodeConfig): "http" | "https" {
  return config.clientTls === undefined ? "http" : "https";
}

export function peerScheme(config: NodeConfig): "http" | "https" {
  return config.peerTls === undefined ? "http" : "https";
}

/** Credentials for a one-off client of the members' client ports (joining), from the files now. */
export function staticClientCredentials(config: NodeConfig): ChannelCredentials | undefined {
  const files = config.clientTls;
  if (files === undefined) return undefined;
  const watcher = new CertificateWatcher(files);
  const { cert, key, ca } = watcher.material;
  return credentials.createSsl(ca ?? null, key, cert);
}

/** Opens the watchers (a bad file throws a TlsConfigError naming it). */
export function openNodeTls(config: NodeConfig, log: Logger): NodeTls {
  const reloadMs = config.tlsReloadMs;
  const open = (files: TlsFiles | undefined, what: string): CertificateWatcher | undefined =>
    files === undefined
      ? undefined
      : new CertificateWatcher(files, { reloadMs, logger: log.child({ component: "tls", port: what }) });
  const client = open(config.clientTls, "client");
  const peer = open(config.peerTls, "peer");
  const metrics = open(config.metricsTls, "metrics");
  let clientCredentials: ChannelCredentials | undefined;
  if (client !== undefined) {
    clientCredentials =
      client.material.ca !== undefined
        ? reloadingChannelCredentials(client)
        : credentials.createSsl(null, client.material.key, client.material.cert);
  }
  return {
    client,
    peer,
    metrics,
    clientCredentials,
    close: () => {
      for (const w of [client, peer, metrics]) w?.close();
    },
  };
}
