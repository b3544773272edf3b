// How member and cluster IDs are written everywhere (logs, errors, the CLI, /metrics labels):
// etcd's form, 16 lowercase hex digits, zero-padded, so one grep finds an ID in every place.

/** `id` as 16 lowercase hex digits (etcd's `%016x`). IDs are below 2^53 here, so a number is exact. */
export function idHex(id: number | bigint): string {
  return BigInt(id).toString(16).padStart(16, "0");
}
