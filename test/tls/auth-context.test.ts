// Behind the shared client port's own TLS termination, gRPC handlers still see the client's
// verified certificate (grpc-js's auth context): what etcd's "common name is the user" with
// --client-cert-auth needs.

import { readFileSync } from "node:fs";
import { credentials, Server, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { serveClientPort } from "../../src/api/client-port.js";
import { apiServices } from "../../src/api/proto.js";
import { EtcdClient } from "../../src/client/index.js";
import { CertificateWatcher } from "../../src/tls/certificates.js";
import { StubBackend } from "../api/helpers.js";
import { CertFactory, hasOpenssl } from "./certs.js";

describe.skipIf(!hasOpenssl())("client certificates seen by gRPC handlers", () => {
  const certs = new CertFactory();
  afterAll(() => certs.remove());

  it("passes the verified certificate's common name to the handler", async () => {
    certs.ca("ca");
    const server = certs.leaf("ca", "server");
    const alice = certs.leaf("ca", "alice", "alice");
    const names: unknown[] = [];
    const grpc = new Server();
    grpc.addService(apiServices().kv, {
      Range: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        names.push(call.getAuthContext().sslPeerCertificate?.subject.CN);
        callback(null, { header: { revision: 1 }, kvs: [], more: false, count: 0 });
      },
    });
    const watcher = new CertificateWatcher({
      certFile: server.cert,
      keyFile: server.key,
      trustedCaFile: server.ca,
      clientCertAuth: true,
    });
    const port = await serveClientPort(grpc, {
      listen: "127.0.0.1:0",
      tls: watcher,
      logger: pino({ level: "silent" }),
      backend: new StubBackend(),
      maxBodyBytes: 1024,
    });
    const client = new EtcdClient([`https://127.0.0.1:${port.port}`], {
      timeoutMs: 5000,
      credentials: credentials.createSsl(
        readFileSync(alice.ca),
        readFileSync(alice.key),
        readFileSync(alice.cert),
      ),
    });
    try {
      await client.get("k");
      expect(names).toEqual(["alice"]);
    } finally {
      client.close();
      await port.close();
      grpc.forceShutdown();
      watcher.close();
    }
  });
});
