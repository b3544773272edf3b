// The JSON gateway and gRPC on one TLS client port (--client-cert-auth), and /metrics over
// https:// on --listen-metrics: curl and etcdctl with certificates made at run time.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etcdctlVersion } from "../cluster/etcdctl-proc.js";
import { ProcCluster } from "../cluster/harness.js";
import { CertFactory, hasOpenssl, type LeafFiles } from "./certs.js";

const ready = hasOpenssl();
if (!ready) console.warn("SKIPPED test/tls/gateway-tls.test.ts: needs openssl (see .ci/run)");

function run(
  cmd: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: 20_000, env: { ...process.env, ETCDCTL_API: "3" } },
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });
}

describe.skipIf(!ready)("gateway over TLS, metrics over https", () => {
  const certs = new CertFactory();
  let cluster: ProcCluster;
  let server: LeafFiles;
  let client: LeafFiles;
  const curlTls = (): string[] => ["--cacert", client.ca, "--cert", client.cert, "--key", client.key];

  beforeAll(async () => {
    certs.ca("ca");
    server = certs.leaf("ca", "server");
    client = certs.leaf("ca", "client");
    cluster = await ProcCluster.start({
      size: 1,
      clientCredentials: credentials.createSsl(
        readFileSync(client.ca),
        readFileSync(client.key),
        readFileSync(client.cert),
      ),
      extraArgs: [
        "--cert-file",
        server.cert,
        "--key-file",
        server.key,
        "--trusted-ca-file",
        server.ca,
        "--client-cert-auth",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    certs.remove();
  });

  it("serves the JSON gateway and /version over TLS, to HTTP/1.1 and HTTP/2-capable curl alike", async () => {
    const url = `https://127.0.0.1:${cluster.nodes[0]!.clientPort}`;
    const put = await run("curl", [
      "-s",
      "-m",
      "10",
      ...curlTls(),
      "-w",
      "\n%{http_version}",
      `${url}/v3/kv/put`,
      "-X",
      "POST",
      "-d",
      JSON.stringify({ key: "Zm9v", value: "YmFy" }),
    ]);
    expect(put.code).toBe(0);
    const lines = put.stdout.trim().split("\n");
    const [body, httpVersion] = [lines[0], lines.at(-1)];
    expect(JSON.parse(body!).header.revision).toMatch(/^\d+$/);
    expect(httpVersion).toBe("1.1");
    // curl offering h2 first still gets HTTP/1.1: the server prefers it in ALPN; gRPC offers h2 only.
    const version = await run("curl", ["-s", "-m", "10", "--http2", ...curlTls(), `${url}/version`]);
    expect(JSON.parse(version.stdout)).toEqual({ etcdserver: "3.4.0", etcdcluster: "3.4.0" });
    // Without a client certificate: refused in the handshake.
    const refused = await run("curl", ["-s", "-m", "10", "--cacert", client.ca, `${url}/version`]);
    expect(refused.code).not.toBe(0);
    if (etcdctlVersion() !== undefined) {
      const get = await run("etcdctl", [
        "--endpoints",
        url,
        "--cacert",
        client.ca,
        "--cert",
        client.cert,
        "--key",
        client.key,
        "get",
        "foo",
        "--print-value-only",
      ]);
      expect(get.stdout.trim()).toBe("bar");
    }
  }, 30_000);

  it("serves /metrics over https when --listen-metrics is https://", async () => {
    const n = cluster.nodes[0]!;
    await cluster.kill(n, "SIGTERM");
    cluster.spawn(n, ["--listen-metrics", `https://127.0.0.1:${n.metricsPort}`]);
    await cluster.waitForLeader();
    const metrics = await run("curl", [
      "-s",
      "-m",
      "10",
      "--cacert",
      client.ca,
      `https://127.0.0.1:${n.metricsPort}/metrics`,
    ]);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(/raftkv_build_info\{version="[^"]+",etcd_api_version="3\.4\.0"\} 1/);
    const plain = await run("curl", ["-s", "-m", "10", `http://127.0.0.1:${n.metricsPort}/metrics`]);
    expect(plain.stdout).not.toContain("raftkv_build_info");
  }, 60_000);
});
