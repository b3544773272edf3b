// Local clusters for the benches: raftkv members (this checkout's dist/) and etcd members
// (Debian's etcd-server, `etcd` on PATH), on loopback with fixed ports. Member i listens on
// base+10i (clients), base+10i+1 (peers) and base+10i+2 (raftkv's metrics).

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join, resolve } from "node:path";
import { MEMBER_ENV } from "./etcd-benchmark.js";

const CLI = resolve(import.meta.dirname, "../src/cli/main.js");

/** One member: how to start it (again, from its data dir) and the process running it. */
export interface Member {
  readonly name: string;
  /** host:port */
  readonly client: string;
  readonly peer: string;
  readonly metrics: string;
  readonly dataDir: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where its stdout and stderr go (appended); null: discarded. */
  readonly logFile: string | null;
  proc: ChildProcess;
}

export interface Cluster {
  readonly name: "raftkv" | "etcd";
  readonly endpoints: string[];
  readonly members: Member[];
}

export interface ClusterOptions {
  /** Extra flags for every member (quota, snapshot count, ...). */
  readonly extraArgs?: readonly string[];
  /** Each member's output goes to DIR/<name>.log; absent: discarded. */
  readonly logDir?: string;
  /** raftkv only: run each member under `node --cpu-prof`, profiles in DIR/<name>. */
  readonly profileDir?: string | null;
}

export function addresses(base: number, i: number): { client: string; peer: string; metrics: string } {
  return {
    client: `127.0.0.1:${base + i * 10}`,
    peer: `127.0.0.1:${base + i * 10 + 1}`,
    metrics: `127.0.0.1:${base + i * 10 + 2}`,
  };
}

/** Starts (or starts again) the member's process; `onSpawn` sees every process started here. */
export function spawnMember(m: Omit<Member, "proc">, onSpawn?: (p: ChildProcess) => void): ChildProcess {
  const fd = m.logFile === null ? null : openSync(m.logFile, "a");
  try {
    const p = spawn(m.command, [...m.args], {
      stdio: fd === null ? "ignore" : ["ignore", fd, fd],
      env: m.env,
    });
    onSpawn?.(p);
    return p;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export interface RaftkvMemberSpec {
  readonly name: string;
  readonly root: string;
  readonly base: number;
  readonly index: number;
  /** --peers for a bootstrapping member; absent with `join`. */
  readonly peers?: string;
  /** Client endpoints of a running cluster: start with --initial-cluster-state existing. */
  readonly join?: readonly string[];
  readonly logLevel?: string;
  readonly options?: ClusterOptions;
}

export function raftkvMember(s: RaftkvMemberSpec): Omit<Member, "proc"> {
  const a = addresses(s.base, s.index);
  const profileDir = s.options?.profileDir;
  const nodeArgs = profileDir == null ? [] : ["--cpu-prof", "--cpu-prof-dir", join(profileDir, s.name)];
  const dataDir = join(s.root, s.name);
  const args = [
    ...nodeArgs,
    CLI,
    ...["--name", s.name, "--data-dir", dataDir],
    ...["--listen-client", a.client, "--listen-peer", a.peer, "--listen-metrics", a.metrics],
    ...(s.peers === undefined ? [] : ["--peers", s.peers]),
    ...(s.join === undefined ? [] : ["--initial-cluster-state", "existing", "--join", s.join.join(",")]),
    ...["--log-level", s.logLevel ?? "warn"],
    ...(s.options?.extraArgs ?? []),
  ];
  const logDir = s.options?.logDir;
  return {
    name: s.name,
    ...a,
    dataDir,
    command: process.execPath,
    args,
    env: MEMBER_ENV,
    logFile: logDir === undefined ? null : join(logDir, `${s.name}.log`),
  };
}

/** Three raftkv members r1..r3, started the way `npm start` starts them (MEMBER_ENV). */
export function startRaftkv(
  root: string,
  base: number,
  options: ClusterOptions = {},
  onSpawn?: (p: ChildProcess) => void,
): Cluster {
  const names = ["r1", "r2", "r3"];
  const peers = names.map((n, i) => `${n}=${addresses(base, i).peer}`).join(",");
  const members = names.map((name, index) => {
    const m = raftkvMember({ name, root, base, index, peers, options });
    return { ...m, proc: spawnMember(m, onSpawn) };
  });
  return { name: "raftkv", endpoints: members.map((m) => m.client), members };
}

export interface EtcdMemberSpec {
  readonly name: string;
  readonly root: string;
  readonly base: number;
  readonly index: number;
  /** --initial-cluster: name=http://host:port,... */
  readonly initialCluster: string;
  readonly state: "new" | "existing";
  readonly logLevel?: string;
  readonly options?: ClusterOptions;
}

export function etcdMember(s: EtcdMemberSpec): Omit<Member, "proc"> {
  const a = addresses(s.base, s.index);
  const dataDir = join(s.root, s.name);
  const args = [
    ...["--name", s.name, "--data-dir", dataDir],
    ...["--listen-client-urls", `http://${a.client}`, "--advertise-client-urls", `http://${a.client}`],
    ...["--listen-peer-urls", `http://${a.peer}`, "--initial-advertise-peer-urls", `http://${a.peer}`],
    ...["--initial-cluster", s.initialCluster, "--initial-cluster-state", s.state],
    ...["--initial-cluster-token", "bench", "--log-level", s.logLevel ?? "warn"],
    ...(s.options?.extraArgs ?? []),
  ];
  const logDir = s.options?.logDir;
  return {
    name: s.name,
    ...a,
    dataDir,
    command: "etcd",
    args,
    env: process.env,
    logFile: logDir === undefined ? null : join(logDir, `${s.name}.log`),
  };
}

/** Three etcd members e1..e3 (no metrics port). */
export function startEtcd(
  root: string,
  base: number,
  options: ClusterOptions = {},
  onSpawn?: (p: ChildProcess) => void,
): Cluster {
  const names = ["e1", "e2", "e3"];
  const initialCluster = names.map((n, i) => `${n}=http://${addresses(base, i).peer}`).join(",");
  const members = names.map((name, index) => {
    const m = etcdMember({ name, root, base, index, initialCluster, state: "new", options });
    return { ...m, proc: spawnMember(m, onSpawn) };
  });
  return { name: "etcd", endpoints: members.map((m) => m.client), members };
}

export function procsOf(c: Cluster): ChildProcess[] {
  return c.members.map((m) => m.proc);
}
