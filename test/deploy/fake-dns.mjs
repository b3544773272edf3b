// Preloaded (node --import) into the raftkv processes of the deployment tests: stands in for the
// cluster DNS of Kubernetes. RAFTKV_TEST_HOSTS maps names (a StatefulSet pod's stable DNS name,
// e.g. raftkv-0.raftkv.default.svc.cluster.local) to loopback addresses (127.a.b.c); any other
// name resolves as usual. grpc-js resolves through dns.promises.lookup, read at call time, so
// replacing the function here reaches every channel the process opens.

import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";

const hosts = new Map(Object.entries(JSON.parse(process.env.RAFTKV_TEST_HOSTS ?? "{}")));

function answer(address, options) {
  const all = typeof options === "object" && options !== null && options.all === true;
  return all ? [{ address, family: 4 }] : { address, family: 4 };
}

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === "function" ? options : callback;
  const address = hosts.get(hostname);
  if (address === undefined) return originalLookup.call(dns, hostname, options, callback);
  const result = answer(address, options);
  process.nextTick(() => (Array.isArray(result) ? cb(null, result) : cb(null, result.address, 4)));
  return undefined;
};

const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  const address = hosts.get(hostname);
  if (address === undefined) return originalPromisesLookup.call(dns.promises, hostname, options);
  return answer(address, options);
};

// ESM importers of node:dns see the replacements too.
syncBuiltinESMExports();
