// k8s/overlays/tls renders with `kubectl kustomize`, validates, mounts the Secret, and its
// environment turns TLS on for clients and peers when parsed as the CLI parses it.

import { resolve } from "node:path";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { configFromOptions, serverOptions } from "../../src/cli/server.js";
import { findObject, type K8sObject, podEnvironment, renderKustomize } from "./harness.js";

const OVERLAY = resolve(import.meta.dirname, "../../k8s/overlays/tls");
const rendered = renderKustomize(OVERLAY);
if (rendered === null) console.warn("skipping the TLS overlay tests: kubectl is not installed");

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/StatefulSet": StatefulSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

describe.skipIf(rendered === null)("the TLS overlay k8s/overlays/tls", () => {
  const objects = rendered as K8sObject[];

  it("renders the base's objects, each valid", () => {
    expect(objects).toHaveLength(5);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it("mounts the Secret raftkv-tls read-only where the flags point", () => {
    const pod = findObject(objects, "StatefulSet").spec.template.spec;
    const volume = pod.volumes.find((v: { name: string }) => v.name === "tls");
    expect(volume.secret.secretName).toBe("raftkv-tls");
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === "tls");
    expect(mount).toEqual({ name: "tls", mountPath: "/etc/raftkv/tls", readOnly: true });
    const env = podEnvironment(objects, "raftkv-0", "prod");
    for (const key of [
      "RAFTKV_CERT_FILE",
      "RAFTKV_KEY_FILE",
      "RAFTKV_TRUSTED_CA_FILE",
      "RAFTKV_PEER_CERT_FILE",
    ]) {
      expect(env[key]?.startsWith(`${mount.mountPath}/`), key).toBe(true);
    }
  });

  it("turns on client TLS with client certificates and mutual TLS between members", () => {
    const env = podEnvironment(objects, "raftkv-1", "prod");
    // The CLI's view: every RAFTKV_* variable onto its option, as commander maps them.
    const options: Record<string, unknown> = {};
    for (const o of serverOptions()) {
      if (o.defaultValue !== undefined) options[o.attributeName()] = o.defaultValue;
      const value = o.envVar === undefined ? undefined : env[o.envVar];
      if (value !== undefined) options[o.attributeName()] = o.required || o.optional ? value : true;
    }
    const config = configFromOptions(options);
    expect(config.clientTls).toEqual({
      certFile: "/etc/raftkv/tls/tls.crt",
      keyFile: "/etc/raftkv/tls/tls.key",
      trustedCaFile: "/etc/raftkv/tls/ca.crt",
      clientCertAuth: true,
    });
    expect(config.peerTls?.clientCertAuth).toBe(true);
    expect(config.metricsTls).toBeUndefined();
    expect(config.advertisePeer).toBe("raftkv-1.raftkv.prod.svc.cluster.local:2380");
  });
});
