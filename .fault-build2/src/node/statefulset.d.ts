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
/** More pods than this is a typo, not a Raft cluster. */
export declare const STATEFULSET_SIZE_MAX = 99;
export declare function parseStatefulSetSpec(value: string): StatefulSetSpec;
/** "raftkv-2" → { prefix: "raftkv", ordinal: 2 }. */
export declare function podIdentity(name: string): PodIdentity;
export declare function checkDnsSuffix(suffix: string): string;
/** The stable DNS name of pod `ordinal`: `<prefix>-<ordinal>.<service>[.<suffix>]`. */
export declare function podHost(pod: PodIdentity, ordinal: number, spec: StatefulSetSpec, dnsSuffix: string): string;
export declare function statefulSetLayout(input: StatefulSetLayoutInput): StatefulSetLayout;
/** The port of a "host:port" (already checked by hostPort). */
export declare function portOf(hostPort: string): number;
