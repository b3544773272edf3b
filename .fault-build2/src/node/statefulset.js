// A node's place in a Kubernetes StatefulSet, from nothing but its name: pod "raftkv-2" of the
// StatefulSet "raftkv" is ordinal 2, and every pod of it has the stable DNS name
// `<pod>.<headless service>[.<suffix>]` (suffix e.g. "default.svc.cluster.local"). From those the
// node builds --peers, its advertised URLs and the endpoints to ask when it joins a running
// cluster — no IP addresses anywhere, so a pod that comes back with a new IP is still found.
//
// Pure functions: no I/O, no environment; the CLI passes the flag values in.
import { ConfigError } from "./config.js";
/** RFC 1123 label: what Kubernetes allows as a Service name and a pod name part. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS name of labels: the suffix. */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** More pods than this is a typo, not a Raft cluster. */
export const STATEFULSET_SIZE_MAX = 99;
export function parseStatefulSetSpec(value) {
    const what = "--peers-from-statefulset";
    const m = /^([^:\s]+):(\d+)$/.exec(value.trim());
    if (m === null)
        throw new ConfigError(`${what}: "${value}" is not <service>:<replicas> (e.g. raftkv:3)`);
    const service = m[1];
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
export function podIdentity(name) {
    const m = /^(.+)-(0|[1-9]\d*)$/.exec(name);
    if (m === null) {
        throw new ConfigError(`--peers-from-statefulset: the member name "${name}" is not a StatefulSet pod name ` +
            "(<statefulset>-<ordinal>); use --name-from-hostname or set RAFTKV_NAME to the pod name");
    }
    const ordinal = Number(m[2]);
    if (ordinal > STATEFULSET_SIZE_MAX * 10) {
        throw new ConfigError(`--peers-from-statefulset: ordinal ${ordinal} of "${name}" is out of range`);
    }
    return { prefix: m[1], ordinal };
}
export function checkDnsSuffix(suffix) {
    const s = suffix.trim().replace(/^\.+|\.+$/g, "");
    if (s !== "" && !DNS_NAME.test(s))
        throw new ConfigError(`--dns-suffix: "${suffix}" is not a DNS name`);
    return s;
}
/** The stable DNS name of pod `ordinal`: `<prefix>-<ordinal>.<service>[.<suffix>]`. */
export function podHost(pod, ordinal, spec, dnsSuffix) {
    const host = `${pod.prefix}-${ordinal}.${spec.service}`;
    return dnsSuffix === "" ? host : `${host}.${dnsSuffix}`;
}
export function statefulSetLayout(input) {
    const pod = podIdentity(input.name);
    const suffix = checkDnsSuffix(input.dnsSuffix);
    const host = (ordinal) => podHost(pod, ordinal, input.spec, suffix);
    const initialPeers = new Map();
    for (let i = 0; i < input.spec.initialSize; i++) {
        initialPeers.set(`${pod.prefix}-${i}`, `${host(i)}:${input.peerPort}`);
    }
    const advertisePeer = `${host(pod.ordinal)}:${input.peerPort}`;
    const initialMember = pod.ordinal < input.spec.initialSize;
    const peers = new Map(initialPeers);
    if (!initialMember)
        peers.set(input.name, advertisePeer);
    // Ask every pod that exists before this one (a StatefulSet creates ordinals in order when it
    // scales up) and every initial member; never this pod itself.
    const discoveryEndpoints = [];
    for (let i = 0; i < Math.max(input.spec.initialSize, pod.ordinal); i++) {
        if (i !== pod.ordinal)
            discoveryEndpoints.push(`${host(i)}:${input.clientPort}`);
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
export function portOf(hostPort) {
    return Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
}
//# sourceMappingURL=statefulset.js.map