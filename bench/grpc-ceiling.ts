// The grpc-js ceiling: a server of the etcd KV service that does nothing but keep Puts in a Map
// and answer Ranges from it, with the same proto loading and grpc-js options as raftkv's client
// API. What etcd-benchmark gets from it is the most a grpc-js server can answer on this machine;
// bench/single.ts measures one raftkv member beside it.
//
//   node dist/bench/grpc-ceiling.js --listen 127.0.0.1:23790

import { parseArgs } from "node:util";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { apiServices } from "../src/api/proto.js";

interface KeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
}

export async function startCeiling(listen: string): Promise<{ port: number; close: () => void }> {
  const store = new Map<string, KeyValue>();
  let revision = 1;
  const header = () => ({ clusterId: 1, memberId: 1, revision, raftTerm: 1 });
  const server = new Server();
  server.addService(apiServices().kv, {
    Put: (call: ServerUnaryCall<{ key: Buffer; value: Buffer }, unknown>, cb: sendUnaryData<unknown>) => {
      const { key, value } = call.request;
      revision++;
      const id = key.toString("latin1");
      const prev = store.get(id);
      store.set(id, {
        key,
        value,
        createRevision: prev?.createRevision ?? revision,
        modRevision: revision,
        version: (prev?.version ?? 0) + 1,
      });
      cb(null, { header: header() });
    },
    Range: (call: ServerUnaryCall<{ key: Buffer }, unknown>, cb: sendUnaryData<unknown>) => {
      const kv = store.get(call.request.key.toString("latin1"));
      cb(null, { header: header(), kvs: kv === undefined ? [] : [kv], count: kv === undefined ? 0 : 1 });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, close: () => server.forceShutdown() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { listen: { type: "string", default: "127.0.0.1:23790" } } });
  startCeiling(values.listen!).then(
    ({ port }) => process.stdout.write(`grpc-js ceiling server on port ${port}\n`),
    (err: unknown) => {
      process.stderr.write(`grpc-ceiling: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
