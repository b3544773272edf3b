// --peers-from-statefulset: a pod's name and the headless Service give its peers, advertised
// addresses and the endpoints it asks when joining — DNS names only.

import { describe, expect, it } from "vitest";
import { configFromOptions, serverOptions } from "../../src/cli/server.js";
import { ConfigError } from "../../src/node/config.js";
import {
  checkDnsSuffix,
  parseStatefulSetSpec,
  podIdentity,
  statefulSetLayout,
} from "../../src/node/statefulset.js";

const SUFFIX = "default.svc.cluster.local";

describe("parseStatefulSetSpec", () => {
  it("reads <service>:<replicas>", () => {
    expect(parseStatefulSetSpec("raftkv:3")).toEqual({ service: "raftkv", initialSize: 3 });
    expect(parseStatefulSetSpec(" kv-peers:5 ")).toEqual({ service: "kv-peers", initialSize: 5 });
  });

  it.each(["raftkv", "raftkv:", ":3", "raftkv:0", "raftkv:-1", "Raft_KV:3", "raftkv:3:4", "raftkv:1000"])(
    "refuses %j with a ConfigError",
    (value) => {
      expect(() => parseStatefulSetSpec(value)).toThrow(ConfigError);
    },
  );
});

describe("podIdentity", () => {
  it("splits the StatefulSet name and the ordinal", () => {
    expect(podIdentity("raftkv-0")).toEqual({ prefix: "raftkv", ordinal: 0 });
    expect(podIdentity("my-kv-store-12")).toEqual({ prefix: "my-kv-store", ordinal: 12 });
  });

  it.each(["raftkv", "raftkv-", "raftkv-01", "-3", "raftkv-x"])("refuses %j, naming the fix", (name) => {
    expect(() => podIdentity(name)).toThrow(/not a StatefulSet pod name/);
  });
});

describe("checkDnsSuffix", () => {
  it("accepts a DNS name, trims dots, and allows empty (the pod's search path)", () => {
    expect(checkDnsSuffix(SUFFIX)).toBe(SUFFIX);
    expect(checkDnsSuffix(".svc.cluster.local.")).toBe("svc.cluster.local");
    expect(checkDnsSuffix("")).toBe("");
    expect(() => checkDnsSuffix("bad suffix")).toThrow(ConfigError);
  });
});

describe("statefulSetLayout", () => {
  const layout = (name: string, initialSize = 3, dnsSuffix = SUFFIX) =>
    statefulSetLayout({
      name,
      spec: { service: "raftkv", initialSize },
      dnsSuffix,
      peerPort: 2380,
      clientPort: 2379,
    });

  it("gives an initial member the initial cluster as peers and its own DNS names", () => {
    const l = layout("raftkv-1");
    expect([...l.peers]).toEqual([
      ["raftkv-0", `raftkv-0.raftkv.${SUFFIX}:2380`],
      ["raftkv-1", `raftkv-1.raftkv.${SUFFIX}:2380`],
      ["raftkv-2", `raftkv-2.raftkv.${SUFFIX}:2380`],
    ]);
    expect(l.initialMember).toBe(true);
    expect(l.advertisePeer).toBe(`raftkv-1.raftkv.${SUFFIX}:2380`);
    expect(l.advertiseClient).toBe(`raftkv-1.raftkv.${SUFFIX}:2379`);
    expect(l.discoveryEndpoints).toEqual([
      `raftkv-0.raftkv.${SUFFIX}:2379`,
      `raftkv-2.raftkv.${SUFFIX}:2379`,
    ]);
  });

  it("makes a pod beyond the initial size a joiner that asks every pod before it", () => {
    const l = layout("raftkv-4");
    expect(l.initialMember).toBe(false);
    expect([...l.initialPeers.keys()]).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
    expect(l.peers.get("raftkv-4")).toBe(`raftkv-4.raftkv.${SUFFIX}:2380`);
    expect(l.discoveryEndpoints).toEqual([0, 1, 2, 3].map((i) => `raftkv-${i}.raftkv.${SUFFIX}:2379`));
  });

  it("leaves the names short without a suffix, and never holds an IP address", () => {
    const l = layout("raftkv-0", 3, "");
    expect(l.advertisePeer).toBe("raftkv-0.raftkv:2380");
    for (const url of [...l.peers.values(), ...l.discoveryEndpoints, l.advertiseClient]) {
      expect(url).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
    }
  });
});

describe("the server flags of a StatefulSet pod", () => {
  /** Parses flags the way the CLI does (defaults and RAFTKV_* variables included). */
  function config(flags: Record<string, string | boolean>) {
    const defaults: Record<string, unknown> = {};
    for (const o of serverOptions())
      if (o.defaultValue !== undefined) defaults[o.attributeName()] = o.defaultValue;
    return configFromOptions({ ...defaults, ...flags });
  }

  it("builds --peers, the advertised addresses and the join endpoints from the pod name", () => {
    const c = config({
      name: "raftkv-2",
      peersFromStatefulset: "raftkv:3",
      dnsSuffix: SUFFIX,
      listenClient: "0.0.0.0:2379",
      listenPeer: "0.0.0.0:2380",
      initialClusterState: "auto",
    });
    expect([...c.peers.keys()]).toEqual(["raftkv-0", "raftkv-1", "raftkv-2"]);
    expect(c.advertisePeer).toBe(`raftkv-2.raftkv.${SUFFIX}:2380`);
    expect(c.advertiseClient).toBe(`raftkv-2.raftkv.${SUFFIX}:2379`);
    expect(c.initialClusterState).toBe("auto");
    expect(c.mayBootstrap).toBe(true);
    expect(c.joinEndpoints).toEqual([`raftkv-0.raftkv.${SUFFIX}:2379`, `raftkv-1.raftkv.${SUFFIX}:2379`]);
  });

  it("never lets a pod beyond the initial size bootstrap", () => {
    const c = config({ name: "raftkv-3", peersFromStatefulset: "raftkv:3", initialClusterState: "new" });
    expect(c.initialClusterState).toBe("auto");
    expect(c.mayBootstrap).toBe(false);
    expect(c.peers.has("raftkv-3")).toBe(true);
  });

  it("refuses --peers together with --peers-from-statefulset, and joining without endpoints", () => {
    expect(() => config({ name: "raftkv-0", peersFromStatefulset: "raftkv:3", peers: "a=h:1" })).toThrow(
      /exclude each other/,
    );
    expect(() => config({ name: "n1", initialClusterState: "existing" })).toThrow(/needs --join/);
  });

  it("keeps the plain flags' behaviour without them", () => {
    const c = config({ name: "n1" });
    expect(c.initialClusterState).toBe("new");
    expect([...c.peers]).toEqual([["n1", "127.0.0.1:2380"]]);
  });
});
