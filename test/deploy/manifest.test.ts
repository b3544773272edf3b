// k8s/ renders with `kubectl kustomize`, every object validates against the Kubernetes schema
// (kubernetes-models), and the StatefulSet has what running a Raft cluster on Kubernetes needs.

import { StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { configFromOptions, serverOptions } from "../../src/cli/server.js";
import { findObject, type K8sObject, podEnvironment, renderKustomize } from "./harness.js";

const MIB = 1024 * 1024;

/** A Kubernetes memory quantity ("512Mi", "1Gi", "1G", "1073741824") in bytes. */
function bytesOf(quantity: string | number): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (m === null) throw new Error(`not a memory quantity: ${quantity}`);
  const unit: Record<string, number> = {
    Ki: 1024,
    Mi: MIB,
    Gi: 1024 * MIB,
    Ti: 1024 * 1024 * MIB,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(m[1]) * (m[2] === undefined ? 1 : unit[m[2]]!);
}

const rendered = renderKustomize();
if (rendered === null) console.warn("skipping the manifest tests: kubectl is not installed");

// The kinds k8s/ may hold, each with its schema.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/StatefulSet": StatefulSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

describe.skipIf(rendered === null)("the kustomize base in k8s/", () => {
  const objects = rendered as K8sObject[];
  const sts = () => findObject(objects, "StatefulSet");
  const pod = () => sts().spec.template.spec;
  const container = () => pod().containers.find((c: { name: string }) => c.name === "raftkv");

  it("renders the five objects", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/raftkv-config",
      "PodDisruptionBudget/raftkv",
      "Service/raftkv",
      "Service/raftkv-client",
      "StatefulSet/raftkv",
    ]);
  });

  it("validates every object against the Kubernetes schema", () => {
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it("rejects a broken object (the validation is not a no-op)", () => {
    const broken = structuredClone(sts());
    broken.spec.replicas = "three";
    expect(() => new StatefulSet(broken as never).validate()).toThrow(/replicas/);
  });

  it("publishes every pod's DNS name through a headless Service, ready or not", () => {
    const peers = findObject(objects, "Service", sts().spec.serviceName);
    expect(peers.spec.clusterIP).toBe("None");
    expect(peers.spec.publishNotReadyAddresses).toBe(true);
    expect(peers.spec.ports.map((p: { port: number }) => p.port).sort()).toEqual([2379, 2380]);
    const client = findObject(objects, "Service", "raftkv-client");
    expect(client.spec.ports).toEqual([{ name: "client", port: 2379, targetPort: "client" }]);
    for (const s of [peers, client]) {
      expect(s.spec.selector).toEqual(sts().spec.selector.matchLabels);
    }
  });

  it("runs three pods in parallel, one per node, each with its own volume", () => {
    const spec = sts().spec;
    expect(spec.replicas).toBe(3);
    expect(spec.podManagementPolicy).toBe("Parallel");
    expect(spec.updateStrategy.type).toBe("RollingUpdate");
    const anti = pod().affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(anti.topologyKey).toBe("kubernetes.io/hostname");
    expect(anti.labelSelector.matchLabels).toEqual(spec.selector.matchLabels);
    expect(spec.volumeClaimTemplates.map((v: K8sObject) => v.metadata.name)).toEqual(["data"]);
    expect(container().volumeMounts.find((m: { name: string }) => m.name === "data").mountPath).toBe("/data");
    expect(spec.persistentVolumeClaimRetentionPolicy.whenScaled).toBe("Delete");
  });

  it("runs as non-root with a read-only root filesystem and resource requests", () => {
    expect(pod().securityContext.runAsNonRoot).toBe(true);
    expect(pod().securityContext.runAsUser).toBeGreaterThan(0);
    const c = container();
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
  });

  it("sets a memory limit that holds the value cache by the README's sizing rule", () => {
    const c = container();
    expect(bytesOf(c.resources.requests.memory)).toBe(512 * MIB);
    expect(bytesOf(c.resources.limits.memory)).toBe(1024 * MIB);
    // The cache the pods run with, as the CLI reads the pod's environment.
    const env = podEnvironment(objects, "raftkv-0", "prod");
    expect(env.RAFTKV_VALUE_CACHE_BYTES).toBeDefined();
    const options: Record<string, unknown> = {};
    for (const o of serverOptions()) {
      if (o.defaultValue !== undefined) options[o.attributeName()] = o.defaultValue;
      const value = o.envVar === undefined ? undefined : env[o.envVar];
      if (value !== undefined) options[o.attributeName()] = o.required || o.optional ? value : true;
    }
    const cacheBytes = configFromOptions(options).valueCacheBytes ?? Number.NaN;
    expect(cacheBytes).toBe(64 * MIB);
    // README "Sizing memory": 256 MiB base + the cache + 128 MiB of Raft log + ~200 bytes per live
    // key; the limit must leave room for the 2 million keys the README says it holds.
    expect(bytesOf(c.resources.limits.memory)).toBeGreaterThanOrEqual(
      256 * MIB + cacheBytes + 128 * MIB + 200 * 2_000_000,
    );
    expect(bytesOf(c.resources.requests.memory)).toBeGreaterThanOrEqual(256 * MIB + cacheBytes);
  });

  it("leaves time for a leadership transfer on SIGTERM, and probes /readyz and /livez", () => {
    // The node gives a transfer 3 election timeouts (3 s by default) before draining.
    expect(pod().terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    const c = container();
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/livez", port: "metrics" });
    expect(c.startupProbe.httpGet.path).toBe("/livez");
    expect(c.ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual([2379, 2380, 2381]);
  });

  it("lets at most one member be disrupted at a time", () => {
    const pdb = findObject(objects, "PodDisruptionBudget");
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(sts().spec.selector.matchLabels);
  });

  it("configures the node by environment only: name from the pod, peers from DNS, no IP address", () => {
    const env = podEnvironment(objects, "raftkv-1", "prod");
    expect(env.RAFTKV_NAME).toBe("raftkv-1");
    expect(env.RAFTKV_PEERS_FROM_STATEFULSET).toBe(`${sts().spec.serviceName}:3`);
    expect(env.RAFTKV_DNS_SUFFIX).toBe("prod.svc.cluster.local");
    expect(env.RAFTKV_INITIAL_CLUSTER_STATE).toBe("auto");
    expect(env.RAFTKV_DATA_DIR?.startsWith("/data/")).toBe(true);
    expect(env.RAFTKV_PEERS).toBeUndefined();
    const text = JSON.stringify(objects);
    // Listen addresses are 0.0.0.0; nothing names a particular host by address.
    expect(text.match(/\b\d+\.\d+\.\d+\.\d+\b/g)?.filter((ip) => ip !== "0.0.0.0") ?? []).toEqual([]);
    expect(container().args ?? []).toEqual([]);
  });
});
