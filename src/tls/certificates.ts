// TLS material read from files (etcd's --cert-file, --key-file, --trusted-ca-file and their
// --peer-* twins), checked at start, and re-read when the files change so that a rotated
// certificate (Kubernetes replaces a mounted Secret's files in place) is used without a restart.
//
// The files are polled: a Secret volume update swaps a symlink, which inotify-based watching
// misses. Every poll stats the files; when one changed, all are read and a new secure context is
// built from them. A half-written or mismatched set (key not matching the certificate) is refused
// with a warning and the previous context stays in use; the next poll tries again.

import { readFileSync, statSync } from "node:fs";
import { createSecureContext, type SecureContextOptions } from "node:tls";

export interface TlsFiles {
  /** PEM certificate chain this side presents. */
  readonly certFile: string;
  /** PEM private key of certFile. */
  readonly keyFile: string;
  /** PEM CA bundle that signs the other side's certificates; empty: the system's roots. */
  readonly trustedCaFile: string;
  /** Servers: require a client certificate signed by trustedCaFile (mutual TLS). */
  readonly clientCertAuth: boolean;
}

/** The bytes of one consistent set of files. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Absent when no trusted CA file was given. */
  readonly ca?: Buffer;
}

export interface TlsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export class TlsConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TlsConfigError";
  }
}

/** Default interval between checks of the files (RAFTKV_TLS_RELOAD_MS / --tls-reload-ms). */
export const DEFAULT_TLS_RELOAD_MS = 5000;

function readMaterial(files: TlsFiles): TlsMaterial {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const cert = read(files.certFile, "certificate");
  const key = read(files.keyFile, "key");
  const ca = files.trustedCaFile === "" ? undefined : read(files.trustedCaFile, "trusted CA file");
  // Builds a context once to check that the key matches the certificate and the PEM parses.
  try {
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new TlsConfigError(
      `bad TLS files (${files.certFile}, ${files.keyFile}${ca ? `, ${files.trustedCaFile}` : ""}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { cert, key, ca };
}

function fingerprint(files: TlsFiles): string {
  return [files.certFile, files.keyFile, files.trustedCaFile]
    .filter((path) => path !== "")
    .map((path) => {
      try {
        const s = statSync(path);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/**
 * One set of TLS files, loaded now (a bad set throws TlsConfigError) and watched for changes
 * while any listener is subscribed or the watcher was started.
 */
export class CertificateWatcher {
  readonly files: TlsFiles;
  readonly #logger: TlsLogger | undefined;
  readonly #reloadMs: number;
  readonly #listeners = new Set<(material: TlsMaterial) => void>();
  #material: TlsMaterial;
  #fingerprint: string;
  #timer: NodeJS.Timeout | null = null;

  constructor(files: TlsFiles, options: { logger?: TlsLogger; reloadMs?: number } = {}) {
    this.files = files;
    this.#logger = options.logger;
    this.#reloadMs = options.reloadMs ?? DEFAULT_TLS_RELOAD_MS;
    this.#fingerprint = fingerprint(files);
    this.#material = readMaterial(files);
  }

  get material(): TlsMaterial {
    return this.#material;
  }

  /** Options for a TLS server: this material, and client certificates as configured. */
  serverContextOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    const { cert, key, ca } = this.#material;
    return {
      cert,
      key,
      ca,
      requestCert: this.files.clientCertAuth,
      rejectUnauthorized: this.files.clientCertAuth,
    };
  }

  /** Calls `listener` with every new set of material; starts polling on the first listener. */
  subscribe(listener: (material: TlsMaterial) => void): () => void {
    this.#listeners.add(listener);
    this.#timer ??= setInterval(() => this.check(), this.#reloadMs).unref();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Re-reads the files if they changed; returns true when new material was taken. */
  check(): boolean {
    const now = fingerprint(this.files);
    if (now === this.#fingerprint) return false;
    let material: TlsMaterial;
    try {
      material = readMaterial(this.files);
    } catch (err) {
      // Probably mid-rotation: keep serving with the old files, try again at the next poll.
      this.#logger?.warn({ err: (err as Error).message }, "TLS files changed but cannot be used yet");
      return false;
    }
    this.#fingerprint = now;
    this.#material = material;
    this.#logger?.info({ cert: this.files.certFile }, "TLS certificates reloaded");
    for (const listener of this.#listeners) listener(material);
    return true;
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }
}
