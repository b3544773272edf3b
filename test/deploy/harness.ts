// Runs raftkv processes configured exactly as the rendered StatefulSet configures its pods: the
// environment comes from the manifest (the ConfigMap through envFrom, the env entries with their
// $(VAR) expansion, the downward API's pod name and namespace). Only what a pod gets from its
// network namespace and its volume differs: each "pod" listens on its own loopback address
// (127.a.b.<ordinal+1>, the manifest's ports), keeps its data in a temp dir, and resolves the
// pods' DNS names through test/deploy/fake-dns.mjs — the stand-in for the cluster DNS.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { EtcdClient } from "../../src/client/index.js";
import { CLI, waitFor } from "../cluster/harness.js";

export const K8S_DIR = resolve(import.meta.dirname, "../../k8s");
const FAKE_DNS = resolve(import.meta.dirname, "fake-dns.mjs");

/** A rendered Kubernetes object (the fields the tests read). */
// biome-ignore lint/suspicious/noExplicitAny: the manifest is arbitrary YAML, checked by the tests.
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any };

/** `kubectl kustomize <dir>` parsed into objects; null when kubectl is not installed. */
export function renderKustomize(dir = K8S_DIR): K8sObject[] | null {
  let text: string;
  try {
    text = execFileSync("kubectl", ["kustomize", dir], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`kustomize output does not parse: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

export function findObject(objects: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found === undefined) throw new Error(`no ${kind}${name ? ` ${name}` : ""} in the rendered manifest`);
  return found;
}

/** The environment Kubernetes gives the raftkv container of pod `podName` in `namespace`. */
export function podEnvironment(
  objects: readonly K8sObject[],
  podName: string,
  namespace: string,
): Record<string, string> {
  const sts = findObject(objects, "StatefulSet");
  const container = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === "raftkv");
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const cm = findObject(objects, "ConfigMap", source.configMapRef.name);
    Object.assign(env, cm.data);
  }
  const fields: Record<string, string> = { "metadata.name": podName, "metadata.namespace": namespace };
  for (const entry of container.env ?? []) {
    if (entry.valueFrom?.fieldRef !== undefined) {
      const value = fields[entry.valueFrom.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`unsupported fieldRef ${entry.valueFrom.fieldRef.fieldPath}`);
      env[entry.name] = value;
    } else {
      // Kubernetes' dependent variables: $(VAR) of a variable defined before; $$ escapes.
      env[entry.name] = String(entry.value ?? "").replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) =>
        m === "$$" ? "$" : (env[v] ?? m),
      );
    }
  }
  return env;
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, host, () => srv.close(() => res(true)));
  });
}

export interface Pod {
  readonly name: string;
  readonly ordinal: number;
  readonly ip: string;
  readonly dataDir: string;
  proc: ChildProcess | null;
  output: string;
  exitCode: number | null;
}

export class PodCluster {
  readonly objects: readonly K8sObject[];
  readonly namespace = "default";
  readonly root: string;
  readonly pods = new Map<number, Pod>();
  readonly #subnet: string;
  readonly #clients: EtcdClient[] = [];
  readonly #unreap: () => void;

  private constructor(objects: readonly K8sObject[], subnet: string) {
    this.objects = objects;
    this.#subnet = subnet;
    this.root = mkdtempSync(join(tmpdir(), "raftkv-sts-"));
    // If the test process dies without its afterAll, its pods die with it.
    const reap = (): void => {
      for (const p of this.pods.values()) p.proc?.kill("SIGKILL");
    };
    process.once("exit", reap);
    this.#unreap = () => process.off("exit", reap);
  }

  /** Picks a loopback /24 (127.a.b.0) whose addresses are free on the manifest's ports. */
  static async create(objects: readonly K8sObject[], maxPods = 5): Promise<PodCluster> {
    const ports = PodCluster.ports(objects);
    for (let attempt = 0; attempt < 20; attempt++) {
      const subnet = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}`;
      let free = true;
      for (let i = 1; i <= maxPods && free; i++) {
        for (const port of ports) free &&= await canListen(`${subnet}.${i}`, port);
      }
      if (free) return new PodCluster(objects, subnet);
    }
    throw new Error("no free loopback subnet for the pods");
  }

  /** Whether this machine can bind loopback addresses other than 127.0.0.1 (Linux can). */
  static async loopbackAliases(): Promise<boolean> {
    return canListen("127.31.41.59", 0);
  }

  static ports(objects: readonly K8sObject[]): number[] {
    const env = podEnvironment(objects, "raftkv-0", "default");
    return ["RAFTKV_LISTEN_CLIENT", "RAFTKV_LISTEN_PEER", "RAFTKV_LISTEN_METRICS"].map((k) =>
      Number(String(env[k]).split(":").pop()),
    );
  }

  /** The pod's stable DNS name, as the headless Service publishes it. */
  dnsName(ordinal: number): string {
    const env = podEnvironment(this.objects, `raftkv-${ordinal}`, this.namespace);
    const service = String(env.RAFTKV_PEERS_FROM_STATEFULSET).split(":")[0];
    const suffix = env.RAFTKV_DNS_SUFFIX ? `.${env.RAFTKV_DNS_SUFFIX}` : "";
    return `raftkv-${ordinal}.${service}${suffix}`;
  }

  ip(ordinal: number): string {
    return `${this.#subnet}.${ordinal + 1}`;
  }

  clientEndpoint(ordinal: number): string {
    return `${this.ip(ordinal)}:${PodCluster.ports(this.objects)[0]}`;
  }

  metricsURL(ordinal: number, path: string): string {
    return `http://${this.ip(ordinal)}:${PodCluster.ports(this.objects)[2]}${path}`;
  }

  /** The environment of pod `ordinal`: the manifest's, with the pod's own address and volume. */
  environment(ordinal: number): Record<string, string> {
    const name = `raftkv-${ordinal}`;
    const env = podEnvironment(this.objects, name, this.namespace);
    const hosts: Record<string, string> = {};
    for (let i = 0; i < 10; i++) hosts[this.dnsName(i)] = this.ip(i);
    const rebind = (listen: string): string => `${this.ip(ordinal)}:${listen.split(":").pop()}`;
    return {
      ...env,
      // What the pod's network namespace and volume provide:
      RAFTKV_LISTEN_CLIENT: rebind(env.RAFTKV_LISTEN_CLIENT!),
      RAFTKV_LISTEN_PEER: rebind(env.RAFTKV_LISTEN_PEER!),
      RAFTKV_LISTEN_METRICS: rebind(env.RAFTKV_LISTEN_METRICS!),
      RAFTKV_DATA_DIR: join(this.root, name, "raftkv"),
      RAFTKV_TEST_HOSTS: JSON.stringify(hosts),
    };
  }

  /** Starts (or restarts) pod `ordinal`, keeping its data dir. */
  start(ordinal: number): Pod {
    const name = `raftkv-${ordinal}`;
    const existing = this.pods.get(ordinal);
    if (existing?.proc) throw new Error(`${name} is running`);
    const pod: Pod = existing ?? {
      name,
      ordinal,
      ip: this.ip(ordinal),
      dataDir: join(this.root, name),
      proc: null,
      output: "",
      exitCode: null,
    };
    this.pods.set(ordinal, pod);
    const proc = spawn(process.execPath, ["--import", FAKE_DNS, CLI], {
      // Only PATH and HOME from outside: everything else is the manifest's.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...this.environment(ordinal) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    pod.proc = proc;
    pod.exitCode = null;
    const append = (b: Buffer): void => {
      pod.output += b.toString();
      if (pod.output.length > 2_000_000) pod.output = pod.output.slice(-1_000_000);
    };
    proc.stdout!.on("data", append);
    proc.stderr!.on("data", append);
    proc.on("exit", (code) => {
      pod.exitCode = code;
      if (pod.proc === proc) pod.proc = null;
    });
    return pod;
  }

  /** Sends `signal` and resolves with the exit code once the process is gone (null: killed). */
  async stop(
    ordinal: number,
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 20_000,
  ): Promise<number | null> {
    const pod = this.pods.get(ordinal);
    const proc = pod?.proc;
    if (pod === undefined || proc == null) return pod?.exitCode ?? null;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        exited,
        new Promise((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`${pod.name} did not exit within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return pod.exitCode;
  }

  /** The pod's volume is gone (a lost PVC, or scaled down with whenScaled: Delete). */
  deleteVolume(ordinal: number): void {
    const pod = this.pods.get(ordinal);
    if (pod?.proc) throw new Error(`${pod.name} is running`);
    rmSync(join(this.root, `raftkv-${ordinal}`), { recursive: true, force: true });
  }

  client(ordinals: readonly number[], timeoutMs = 5000): EtcdClient {
    const c = new EtcdClient(
      ordinals.map((o) => this.clientEndpoint(o)),
      { timeoutMs },
    );
    this.#clients.push(c);
    return c;
  }

  /** The ordinals of the running pods. */
  running(): number[] {
    return [...this.pods.values()].filter((p) => p.proc !== null).map((p) => p.ordinal);
  }

  /**
   * Waits until every running pod knows the same leader and has applied what that leader had
   * committed when asked; resolves with the leader's member ID.
   */
  async waitForConvergence(timeoutMs = 30_000): Promise<number> {
    return waitFor(
      "the pods to agree on a leader and catch up",
      async () => {
        const statuses = await Promise.all(
          this.running().map(async (o) => {
            const c = new EtcdClient([this.clientEndpoint(o)], { timeoutMs: 1000 });
            try {
              return await c.status();
            } finally {
              c.close();
            }
          }),
        );
        const leaders = new Set(statuses.map((s) => Number(s.leader)));
        if (leaders.size !== 1 || leaders.has(0)) return 0;
        const leader = [...leaders][0]!;
        const commit = Number(statuses.find((s) => Number(s.header?.memberId) === leader)?.raftIndex ?? -1);
        if (commit < 0) return 0;
        return statuses.every((s) => Number(s.raftAppliedIndex) >= commit) ? leader : 0;
      },
      timeoutMs,
      50,
    );
  }

  /**
   * Runs `raftkv <args>` (a client command) against the given pods, as `kubectl exec` would in a
   * pod: the cluster's DNS names resolve. Resolves with its exit code and output.
   */
  cli(args: readonly string[], ordinals: readonly number[]): Promise<{ code: number | null; out: string }> {
    const endpoints = ordinals.map((o) => this.clientEndpoint(o)).join(",");
    return new Promise((res) => {
      const proc = spawn(process.execPath, ["--import", FAKE_DNS, CLI, ...args, "--endpoints", endpoints], {
        env: { PATH: process.env.PATH ?? "", RAFTKV_TEST_HOSTS: this.environment(0).RAFTKV_TEST_HOSTS! },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
      proc.stderr.on("data", (b: Buffer) => (out += b.toString()));
      proc.on("exit", (code) => res({ code, out }));
    });
  }

  async cleanup(): Promise<void> {
    for (const c of this.#clients) c.close();
    await Promise.all([...this.pods.keys()].map((o) => this.stop(o, "SIGKILL").catch(() => null)));
    this.#unreap();
    rmSync(this.root, { recursive: true, force: true });
  }
}
