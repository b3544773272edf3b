// A node's place in a Kubernetes StatefulSet, from nothing but its name: pod "raftkv-2" of the
// StatefulSet "raftkv" is ordinal 2, and every pod of it has the stable DNS name
// `<pod>.<headless service>[.<suffix>]` (suffix e.g. "default.svc.cluster.local"). From those the
// node builds --peers, its advertised URLs and the endpoints to ask when it joins a running
// cluster — no IP addresses anywhere, so a pod that comes back with a new IP is still found.
//
// Pure functions: no I/O, no environment; the CLI passes the flag values in.

import { ConfigError } from "./config.js";

/** `--peers-from-statefulset <service>:<replicas>`: the headless Service and the initial size. */
export interface StatefulSetSpec {
  /** The headless Service that gives every pod a DNS name (the StatefulSet's serviceName). */
  readonly service: string;
  /** Pods 0 .. initialSize-1 form the initial cluster; pods beyond join it as new members. */
  readonly initialSize: number;
}

/** Where this pod sits in the StatefulSet. */
export interface PodIdentity {
  /** The StatefulSet's name: the pod name without "-<ordinal>". */
  readonly prefix: string;
  readonly ordinal: number;
}

export interface StatefulSetLayoutInput {
  /** This member's name: the pod name (its hostname), e.g. "raftkv-3". */
  readonly name: string;
  readonly spec: StatefulSetSpec;
  /** Appended to `<pod>.<service>`; "" relies on the pod's DNS search path. */
  readonly dnsSuffix: string;
  /** The peer port every pod listens on (the port of --listen-peer). */
  readonly peerPort: number;
  /** The client port every pod listens on (the port of --listen-client). */
  readonly clientPort: number;
}

export interface StatefulSetLayout {
  readonly pod: PodIdentity;
  /** The initial members (ordinals below initialSize): name → peer host:port. */
  readonly initialPeers: ReadonlyMap<string, string>;
  /** --peers for this node: the initial members, plus itself when it is beyond them. */
  readonly peers: ReadonlyMap<string, string>;
  /** Whether this pod is one of the initial members (and so may bootstrap the cluster). */
  readonly initialMember: boolean;
  readonly advertisePeer: string;
  readonly advertiseClient: string;
  /** Client endpoints (host:port) of the other pods to ask about a running cluster. */
  readonly discoveryEndpoints: readonly string[];
}

/** RFC 1123 label: what Kubernetes allows as a Service name and a pod name part. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS name of labels: the suffix. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** More pods than this is a typo, not a Raft cluster. */
export const STATEFULSET_SIZE_MAX = 99;

export function parseStatefulSetSpec(value: string): StatefulSetSpec {
  const what = "--peers-from-statefulset";
  const m = /^([^:\s]+):(\d+)$/.exec(value.trim());
  if (m === null) throw new ConfigError(`${what}: "${value}" is not <service>:<replicas> (e.g. raftkv:3)`);
  const service = m[1]!;
  if (!DNS_LABEL.test(service) || service.length > 63) {
    throw new ConfigError(`${what}: "${service}" is not a valid Service name (a DNS label)`);
  }
  const initialSize = Number(m[2]);
  if (!Number.isSafeInteger(initialSize) || initialSize < 1 || initialSize > STATEFULSET_SIZE_MAX) {
    throw new ConfigError(`${what}: replicas must be 1..${STATEFULSET_SIZE_MAX}, not ${m[2]}`);
  }
  return { service, initialSize };
}

/** "raftkv-2" → { prefix: "raftkv", ordinal: 2 }. */
export function podIdentity(name: string): PodIdentity {
  const m = /^(.+)-(0|[1-9]\d*)$/.exec(name);
  if (m === null) {
    throw new ConfigError(
      `--peers-from-statefulset: the member name "${name}" is not a StatefulSet pod name ` +
        "(<statefulset>-<ordinal>); use --name-from-hostname or set RAFTKV_NAME to the pod name",
    );
  }
  const ordinal = Number(m[2]);
  if (ordinal > STATEFULSET_SIZE_MAX * 10) {
    throw new ConfigError(`--peers-from-statefulset: ordinal ${ordinal} of "${name}" is out of range`);
  }
  return { prefix: m[1]!, ordinal };
}

export function checkDnsSuffix(suffix: string): string {
  const s = suffix.trim().replace(/^\.+|\.+$/g, "");
  if (s !== "" && !DNS_NAME.test(s)) throw new ConfigError(`--dns-suffix: "${suffix}" is not a DNS name`);
  return s;
}

/** The stable DNS name of pod `ordinal`: `<prefix>-<ordinal>.<service>[.<suffix>]`. */
export function podHost(pod: PodIdentity, ordinal: number, spec: StatefulSetSpec, dnsSuffix: string): string {
  const host = `${pod.prefix}-${ordinal}.${spec.service}`;
  return dnsSuffix === "" ? host : `${host}.${dnsSuffix}`;
}

export function statefulSetLayout(input: StatefulSetLayoutInput): StatefulSetLayout {
  const pod = podIdentity(input.name);
  const suffix = checkDnsSuffix(input.dnsSuffix);
  const host = (ordinal: number): string => podHost(pod, ordinal, input.spec, suffix);
  const initialPeers = new Map<string, string>();
  for (let i = 0; i < input.spec.initialSize; i++) {
    initialPeers.set(`${pod.prefix}-${i}`, `${host(i)}:${input.peerPort}`);
  }
  const advertisePeer = `${host(pod.ordinal)}:${input.peerPort}`;
  const initialMember = pod.ordinal < input.spec.initialSize;
  const peers = new Map(initialPeers);
  if (!initialMember) peers.set(input.name, advertisePeer);
  // Ask every pod that exists before this one (a StatefulSet creates ordinals in order when it
  // scales up) and every initial member; never this pod itself.
  const discoveryEndpoints: string[] = [];
  for (let i = 0; i < Math.max(input.spec.initialSize, pod.ordinal); i++) {
    if (i !== pod.ordinal) discoveryEndpoints.push(`${host(i)}:${input.clientPort}`);
  }
  return {
    pod,
    initialPeers,
    peers,
    initialMember,
    advertisePeer,
    advertiseClient: `${host(pod.ordinal)}:${input.clientPort}`,
    discoveryEndpoints,
  };
}

/** The port of a "host:port" (already checked by hostPort). */
export function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
}
