// Certificates for the TLS tests, made at run time with Debian's openssl (`.ci/run` installs it):
// CAs, and leaf certificates for 127.0.0.1/localhost usable as server and client.

import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface LeafFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export class CertFactory {
  readonly dir = mkdtempSync(join(tmpdir(), "raftkv-certs-"));

  #run(...args: string[]): void {
    execFileSync("openssl", args, { cwd: this.dir, stdio: "pipe" });
  }

  /** A self-signed CA: <name>.crt, <name>.key. Returns the certificate's path. */
  ca(name: string): string {
    this.#run(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
    return join(this.dir, `${name}.crt`);
  }

  /**
   * A certificate `ca` signs for 127.0.0.1 and localhost, server and client use, common name
   * `cn`. Written to <name>.crt/.key (via a temporary file and a rename, as a rotation would).
   */
  leaf(ca: string, name: string, cn = name): LeafFiles {
    writeFileSync(
      join(this.dir, `${name}.ext`),
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
    );
    const tmp = `${name}.new`;
    this.#run(
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${tmp}.key`,
      "-out",
      `${tmp}.csr`,
    );
    this.#run(
      "x509",
      "-req",
      "-in",
      `${tmp}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${tmp}.crt`,
    );
    // Key first: a reader that sees the new certificate with the old key refuses the pair and
    // keeps what it had; the next check sees both new files.
    renameSync(join(this.dir, `${tmp}.key`), join(this.dir, `${name}.key`));
    renameSync(join(this.dir, `${tmp}.crt`), join(this.dir, `${name}.crt`));
    return {
      cert: join(this.dir, `${name}.crt`),
      key: join(this.dir, `${name}.key`),
      ca: join(this.dir, `${ca}.crt`),
    };
  }

  /** The certificate's serial number in hex, upper case (as Node's getPeerCertificate gives it). */
  serial(certPath: string): string {
    return execFileSync("openssl", ["x509", "-noout", "-serial", "-in", certPath], { encoding: "utf8" })
      .trim()
      .replace(/^serial=/, "")
      .toUpperCase();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
