// The etcd API level raftkv implements, reported where etcd reports its own version: GET /version
// and Maintenance.Status. Clients gate features on it (Patroni uses the /v3 JSON paths only from
// etcdcluster 3.4), so it names the etcd release whose API raftkv serves, not raftkv's own version
// (which /metrics reports as raftkv_build_info and `raftkv --version` prints).

export const ETCD_API_VERSION = "3.4.0";
export const ETCD_CLUSTER_VERSION = "3.4.0";

/** The body of GET /version, as etcd answers it. */
export function versionBody(): string {
  return JSON.stringify({ etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION });
}
