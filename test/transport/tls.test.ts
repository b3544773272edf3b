// Mutual TLS between peers (certificates made with openssl for the test), and peers named by
// DNS name rather than address.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { TransportTlsOptions } from "../../src/transport/index.js";
import { Harness, msg } from "./helpers.js";

let h = new Harness();
afterEach(async () => {
  await h.closeAll();
  h = new Harness();
});

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), "raftkv-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CA, and one certificate it signs for 127.0.0.1/localhost (server and client use). */
function makeCertificates(): { good: TransportTlsOptions; stranger: TransportTlsOptions } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ca = (name: string) => {
    run(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  };
  const leaf = (caName: string, name: string) => {
    writeFileSync(
      join(dir, `${name}.ext`),
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
    );
    run(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${caName}.crt`,
      "-CAkey",
      `${caName}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  };
  ca("ca");
  leaf("ca", "member");
  ca("otherca");
  leaf("otherca", "stranger");
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    good: { ca: read("ca.crt"), cert: read("member.crt"), key: read("member.key") },
    stranger: { ca: read("ca.crt"), cert: read("stranger.crt"), key: read("stranger.key") },
  };
}

describe.skipIf(!hasOpenssl())("TLS", () => {
  const certs = makeCertificates();

  it("exchanges messages over mutual TLS", async () => {
    const a = await h.member(1, { tls: certs.good });
    const b = await h.member(2, { tls: certs.good });
    a.transport.addPeer(2, `https://127.0.0.1:${b.port}`);
    b.transport.addPeer(1, `https://localhost:${a.port}`);
    a.transport.send([msg({ from: 1, to: 2, index: 1 })]);
    b.transport.send([msg({ from: 2, to: 1, index: 2 })]);
    await h.waiter.until(() => a.received.length === 1 && b.received.length === 1, "messages over TLS");
    expect([a.received[0]?.index, b.received[0]?.index]).toEqual([2, 1]);
  });

  it("refuses a client whose certificate another CA signed", async () => {
    const b = await h.member(2, { tls: certs.good });
    const x = await h.member(1, { tls: certs.stranger });
    b.transport.addPeer(1, `https://127.0.0.1:${x.port}`);
    x.transport.addPeer(2, `https://127.0.0.1:${b.port}`);
    await h.waiter.until(() => x.unreachable.includes(2), "the stranger cannot connect");
    expect(b.received).toEqual([]);
  });
});

describe("peer names", () => {
  it("reaches a peer by DNS name", async () => {
    const a = await h.member(1);
    const b = await h.member(2);
    a.transport.addPeer(2, `http://localhost:${b.port}`);
    b.transport.addPeer(1, a.url);
    a.transport.send([msg({ from: 1, to: 2, index: 9 })]);
    await h.waiter.until(() => b.received.length === 1, "message delivered via localhost");
  });

  it("rejects bad peer URLs with a TypeError", async () => {
    const a = await h.member(1);
    expect(() => a.transport.addPeer(2, "ftp://x:1")).toThrow(/unsupported scheme/);
    expect(() => a.transport.addPeer(2, "https://x:1")).toThrow(/TLS/);
    expect(() => a.transport.addPeer(2, "http://x:1/path")).toThrow(/no path/);
    expect(() => a.transport.addPeer(1, "http://x:1")).toThrow(/own peer/);
    expect(() => a.transport.addPeer(0, "http://x:1")).toThrow(/positive/);
  });
});
