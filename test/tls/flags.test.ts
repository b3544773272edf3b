// The TLS flags as the CLI parses them: which ports serve TLS, and clear errors for incomplete
// or contradictory settings. Also the certificate watcher's refusal of bad files.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configFromOptions, serverOptions } from "../../src/cli/server.js";
import { CertificateWatcher, TlsConfigError } from "../../src/tls/certificates.js";
import { CertFactory, hasOpenssl } from "./certs.js";

function config(flags: Record<string, string | boolean>) {
  const defaults: Record<string, unknown> = {};
  for (const o of serverOptions())
    if (o.defaultValue !== undefined) defaults[o.attributeName()] = o.defaultValue;
  return configFromOptions({ ...defaults, ...flags });
}

const files = { certFile: "/c.crt", keyFile: "/c.key" };

describe("TLS flags", () => {
  it("serves TLS on an https:// listen address, or a bare one when certificates are given", () => {
    expect(config({}).clientTls).toBeUndefined();
    expect(config({ ...files, listenClient: "https://127.0.0.1:2379" }).clientTls).toEqual({
      certFile: "/c.crt",
      keyFile: "/c.key",
      trustedCaFile: "",
      clientCertAuth: false,
    });
    expect(config({ ...files }).clientTls?.certFile).toBe("/c.crt");
    expect(config({ ...files, listenClient: "http://127.0.0.1:2379" }).clientTls).toBeUndefined();
    const peer = config({
      peerCertFile: "/p.crt",
      peerKeyFile: "/p.key",
      peerTrustedCaFile: "/ca.crt",
      peerClientCertAuth: true,
    });
    expect(peer.peerTls).toEqual({
      certFile: "/p.crt",
      keyFile: "/p.key",
      trustedCaFile: "/ca.crt",
      clientCertAuth: true,
    });
    expect(peer.clientTls).toBeUndefined();
    expect(config({ ...files, listenMetrics: "https://127.0.0.1:2381" }).metricsTls?.clientCertAuth).toBe(
      false,
    );
  });

  it("refuses incomplete or contradictory TLS settings, naming the flag", () => {
    expect(() => config({ listenClient: "https://127.0.0.1:2379" })).toThrow(
      /needs --cert-file and --key-file/,
    );
    expect(() => config({ ...files, clientCertAuth: true })).toThrow(
      /--client-cert-auth needs --trusted-ca-file/,
    );
    expect(() =>
      config({ listenPeer: "https://127.0.0.1:2380", peerCertFile: "/p", peerKeyFile: "/k" }),
    ).toThrow(/--peer-trusted-ca-file/);
    expect(() =>
      config({ listenPeer: "https://127.0.0.1:2380", peers: "default=http://127.0.0.1:2380" }),
    ).toThrow(/mix http/);
    expect(() => config({ listenMetrics: "https://127.0.0.1:2381" })).toThrow(/--listen-metrics/);
    expect(() => config({ tlsReloadMs: "0" })).toThrow(/--tls-reload-ms/);
  });
});

describe.skipIf(!hasOpenssl())("CertificateWatcher", () => {
  const certs = new CertFactory();
  afterAll(() => certs.remove());

  it("refuses a missing file or a key that does not match, naming the files", () => {
    certs.ca("ca");
    const a = certs.leaf("ca", "a");
    const b = certs.leaf("ca", "b");
    const ok = { certFile: a.cert, keyFile: a.key, trustedCaFile: a.ca, clientCertAuth: true };
    expect(new CertificateWatcher(ok).material.ca).toBeDefined();
    expect(() => new CertificateWatcher({ ...ok, certFile: join(certs.dir, "nope.crt") })).toThrow(
      /cannot read certificate .*nope\.crt/,
    );
    expect(() => new CertificateWatcher({ ...ok, keyFile: b.key })).toThrow(TlsConfigError);
  });

  it("keeps the old material while the files are inconsistent, takes the new once they are", () => {
    const a = certs.leaf("ca", "r");
    const watcher = new CertificateWatcher({
      certFile: a.cert,
      keyFile: a.key,
      trustedCaFile: "",
      clientCertAuth: false,
    });
    const before = watcher.material.cert;
    const seen: Buffer[] = [];
    const unsubscribe = watcher.subscribe((m) => seen.push(m.cert));
    writeFileSync(a.cert, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
    expect(watcher.check()).toBe(false);
    expect(watcher.material.cert).toEqual(before);
    certs.leaf("ca", "r");
    expect(watcher.check()).toBe(true);
    expect(seen).toHaveLength(1);
    expect(watcher.material.cert).not.toEqual(before);
    unsubscribe();
  });
});
