// etcd's --client-cert-auth with auth enabled: a call without a token is made by the user its
// verified client certificate names (the common name); a token, when sent, wins. In process: the
// client server with TLS that requires client certificates signed by the CA (certificates made
// with openssl for the test), and the auth guard's clientCertAuth hook.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ChannelCredentials,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  ServerCredentials,
  type ServiceError,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimpleTokens } from "../../src/api/auth-tokens.js";
import { apiServices } from "../../src/api/proto.js";
import { type Served, serve } from "./helpers.js";
import { KvBackend } from "./kv-backend.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), "raftkv-auth-tls-"));

/** A CA, a server certificate for 127.0.0.1, and client certificates with the given common names. */
function makeCertificates(clients: string[]): (name: string) => { cert: Buffer; key: Buffer; ca: Buffer } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-days", "1", "-subj", "/CN=test-ca", "-keyout", "ca.key", "-out", "ca.crt");
  for (const name of ["server", ...clients]) {
    writeFileSync(
      join(dir, `${name}.ext`),
      name === "server"
        ? "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        : "extendedKeyUsage=clientAuth\n",
    );
    run("req", ...ec, "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return (name) => ({ cert: read(`${name}.crt`), key: read(`${name}.key`), ca: read("ca.crt") });
}

type Callback = (err: ServiceError | null, res: unknown) => void;
type Unary = (req: object, md: Metadata, cb: Callback) => void;
type Client = Record<string, Unary> & { close(): void };

describe.skipIf(!hasOpenssl())("auth with client certificates (--client-cert-auth)", () => {
  let backend: KvBackend;
  let served: Served;
  let tokens: SimpleTokens;
  let files: ReturnType<typeof makeCertificates>;
  const clients: Client[] = [];

  const client = (service: "kv" | "auth", tls: ChannelCredentials): Client => {
    const Ctor = makeGenericClientConstructor(apiServices()[service], service);
    const c = new Ctor(served.endpoint, tls) as unknown as Client;
    clients.push(c);
    return c;
  };
  const as = (name: string): ChannelCredentials => {
    const f = files(name);
    return credentials.createSsl(f.ca, f.key, f.cert);
  };
  const call = (c: Client, method: string, req: object, token?: string): Promise<unknown> => {
    const md = new Metadata();
    if (token !== undefined) md.set("token", token);
    return new Promise((resolve, reject) => {
      c[method]!.call(c, req, md, (err, res) => (err ? reject(err) : resolve(res)));
    });
  };
  const refusal = async (p: Promise<unknown>): Promise<string> =>
    (
      (await p.then(
        () => expect.fail("expected a refusal"),
        (e: unknown) => e,
      )) as ServiceError
    ).details;
  const put = (key: string) => ({ key: Buffer.from(key), value: Buffer.from("v") });

  beforeAll(async () => {
    files = makeCertificates(["root", "alice", "mallory"]);
    backend = await KvBackend.open();
    tokens = new SimpleTokens(60_000);
    backend.kv.onApplied((batch) => tokens.applied(batch.auth));
    const server = files("server");
    served = await serve(backend, {
      // etcd's --client-cert-auth: the handshake refuses a client without a certificate the CA
      // signed, so every certificate the guard sees is verified.
      credentials: ServerCredentials.createSsl(
        server.ca,
        [{ cert_chain: server.cert, private_key: server.key }],
        true,
      ),
      auth: { table: backend.kv.auth, tokens, clientCertAuth: true },
    });
    const admin = client("auth", as("root"));
    await call(admin, "UserAdd", { name: "root", password: "rootpw" });
    await call(admin, "UserGrantRole", { user: "root", role: "root" });
    await call(admin, "UserAdd", { name: "alice", password: "alicepw" });
    await call(admin, "RoleAdd", { name: "app" });
    await call(admin, "RoleGrantPermission", {
      name: "app",
      perm: { permType: "READWRITE", key: Buffer.from("/app/"), rangeEnd: Buffer.from("/app0") },
    });
    await call(admin, "UserGrantRole", { user: "alice", role: "app" });
    await call(admin, "AuthEnable", {});
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    tokens?.close();
    await served?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the certificate's common name is the user when no token is sent", async () => {
    const alice = client("kv", as("alice"));
    await call(alice, "Put", put("/app/x"));
    expect(await refusal(call(alice, "Put", put("/x")))).toBe("etcdserver: permission denied");
    const root = client("kv", as("root"));
    await call(root, "Put", put("/x"));
    await call(client("auth", as("root")), "UserList", {});
    // A certificate naming no user is nobody with permissions.
    const mallory = client("kv", as("mallory"));
    expect(await refusal(call(mallory, "Range", { key: Buffer.from("/app/x") }))).toBe(
      "etcdserver: permission denied",
    );
  });

  it("a token, when sent, names the user instead", async () => {
    const { token } = (await call(client("auth", as("mallory")), "Authenticate", {
      name: "alice",
      password: "alicepw",
    })) as { token: string };
    const mallory = client("kv", as("mallory"));
    await call(mallory, "Put", put("/app/y"), token);
    const withRootCert = client("kv", as("root"));
    expect(await refusal(call(withRootCert, "Put", put("/y"), token))).toBe("etcdserver: permission denied");
  });
});
