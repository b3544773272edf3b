// grpc-js channel credentials that follow a CertificateWatcher: each new connection (a peer
// redialled after a rotation, say) uses the newest certificate, key and CA without a restart.

import { type ChannelCredentials, experimental } from "@grpc/grpc-js";
import type { CertificateWatcher } from "./certificates.js";

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** A grpc-js CertificateProvider fed by a CertificateWatcher. */
class WatcherCertificateProvider implements experimental.CertificateProvider {
  readonly #watcher: CertificateWatcher;
  readonly #ca = new Set<CaListener>();
  readonly #identity = new Set<IdentityListener>();
  #unsubscribe: (() => void) | null = null;

  constructor(watcher: CertificateWatcher) {
    this.#watcher = watcher;
  }

  #publish(): void {
    const { cert, key, ca } = this.#watcher.material;
    for (const listener of this.#ca) listener(ca === undefined ? null : { caCertificate: ca });
    for (const listener of this.#identity) listener({ certificate: cert, privateKey: key });
  }

  #watch(): void {
    this.#unsubscribe ??= this.#watcher.subscribe(() => this.#publish());
  }

  #maybeUnwatch(): void {
    if (this.#ca.size + this.#identity.size > 0 || this.#unsubscribe === null) return;
    this.#unsubscribe();
    this.#unsubscribe = null;
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#ca.add(listener);
    this.#watch();
    const { ca } = this.#watcher.material;
    listener(ca === undefined ? null : { caCertificate: ca });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#ca.delete(listener);
    this.#maybeUnwatch();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.add(listener);
    this.#watch();
    const { cert, key } = this.#watcher.material;
    listener({ certificate: cert, privateKey: key });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identity.delete(listener);
    this.#maybeUnwatch();
  }
}

/** Mutual-TLS channel credentials that reload with `watcher`. */
export function reloadingChannelCredentials(watcher: CertificateWatcher): ChannelCredentials {
  const provider = new WatcherCertificateProvider(watcher);
  return experimental.createCertificateProviderChannelCredentials(provider, provider);
}
