// Server flags for deployments: a StatefulSet pod derives --peers and its advertised addresses
// from its name (--peers-from-statefulset, --dns-suffix), and a node with an empty data dir can
// join a running cluster instead of bootstrapping one (--initial-cluster-state, --join).

import { Option } from "commander";
import { ConfigError, hostPort, type InitialClusterState, parsePeers } from "../node/config.js";
import { parseStatefulSetSpec, portOf, statefulSetLayout } from "../node/statefulset.js";

export function deployOptions(): Option[] {
  return [
    new Option(
      "--peers-from-statefulset <service:replicas>",
      "build --peers from StatefulSet DNS names: pods 0..replicas-1 of the headless Service form the " +
        "initial cluster (the member name must be the pod name, e.g. raftkv-0)",
    ).env("RAFTKV_PEERS_FROM_STATEFULSET"),
    new Option(
      "--dns-suffix <suffix>",
      "appended to <pod>.<service> with --peers-from-statefulset, e.g. default.svc.cluster.local",
    )
      .env("RAFTKV_DNS_SUFFIX")
      .default(""),
    new Option(
      "--initial-cluster-state <state>",
      "with an empty data dir: new (bootstrap --peers), existing (join; added first with " +
        "`raftkv members add`), auto (join if a cluster answers, else bootstrap)",
    )
      .env("RAFTKV_INITIAL_CLUSTER_STATE")
      .choices(["new", "existing", "auto"])
      .default("new"),
    new Option(
      "--join <host:port,...>",
      "client endpoints of running members to ask when joining (default with " +
        "--peers-from-statefulset: the other pods)",
    ).env("RAFTKV_JOIN"),
  ];
}

/** What the deployment flags decide; undefined fields keep the plain flags' values. */
export interface DeployConfig {
  readonly peers?: Map<string, string>;
  readonly advertisePeer?: string;
  readonly advertiseClient?: string;
  readonly initialClusterState: InitialClusterState;
  readonly joinEndpoints: readonly string[];
  readonly mayBootstrap: boolean;
}

export function deployConfig(
  o: Record<string, unknown>,
  name: string,
  listenClient: string,
  listenPeer: string,
): DeployConfig {
  const state = String(o.initialClusterState ?? "new") as InitialClusterState;
  const join =
    typeof o.join === "string" && o.join.trim() !== ""
      ? o.join
          .split(",")
          .map((e) => e.trim())
          .filter((e) => e !== "")
          .map((e) => hostPort(e, "--join"))
      : [];
  if (typeof o.peersFromStatefulset !== "string" || o.peersFromStatefulset === "") {
    if (state === "existing" && join.length === 0) {
      throw new ConfigError("--initial-cluster-state existing needs --join <client endpoints>");
    }
    if (state === "auto" && join.length === 0) {
      throw new ConfigError("--initial-cluster-state auto needs --join or --peers-from-statefulset");
    }
    return { initialClusterState: state, joinEndpoints: join, mayBootstrap: true };
  }
  if (typeof o.peers === "string" && o.peers !== "") {
    throw new ConfigError("--peers and --peers-from-statefulset exclude each other");
  }
  const layout = statefulSetLayout({
    name,
    spec: parseStatefulSetSpec(o.peersFromStatefulset),
    dnsSuffix: String(o.dnsSuffix ?? ""),
    peerPort: portOf(listenPeer),
    clientPort: portOf(listenClient),
  });
  // A pod beyond the initial members can never bootstrap: it joins, whatever the state says.
  const initialClusterState = layout.initialMember ? state : state === "new" ? "auto" : state;
  return {
    peers: parsePeers([...layout.peers].map(([n, url]) => `${n}=${url}`).join(",")),
    advertisePeer: o.advertisePeer ? undefined : layout.advertisePeer,
    advertiseClient: o.advertiseClient ? undefined : layout.advertiseClient,
    initialClusterState,
    joinEndpoints: join.length > 0 ? join : layout.discoveryEndpoints,
    mayBootstrap: layout.initialMember,
  };
}
