// Key-range permission checking with etcd's semantics (server/auth/range_perm_cache.go). Pure: no
// I/O, no state; the auth table (auth.ts) merges a user's role permissions with mergePermissions
// and asks rangePermitted / keyPermitted.
//
// Ranges are half-open, over key bytes:
// - a permission with an empty range_end covers one key: [key, key + "\0");
// - a range_end of "\0" means "every key from key on": [key, +inf);
// - otherwise [key, range_end).
// A request is permitted when the union of the user's permissions of the wanted type covers
// EVERY key the request can touch: one key for a point request (empty range_end), the whole
// interval otherwise (etcd's interval tree `Contains`). A request range that is empty
// (range_end <= key, and not "\0") covers no key; it is refused, like a range no permission
// overlaps.

/** Permission types, as authpb.Permission.Type names (proto-loader decodes enums as names). */
export type PermissionType = "READ" | "WRITE" | "READWRITE";

export interface Permission {
  permType: PermissionType;
  key: Buffer;
  rangeEnd: Buffer;
}

/** A half-open interval of keys; `end` null = unbounded. */
export interface KeyInterval {
  begin: Buffer;
  end: Buffer | null;
}

/** A user's read and write permissions, each as sorted, disjoint, non-adjacent intervals. */
export interface MergedPermissions {
  read: readonly KeyInterval[];
  write: readonly KeyInterval[];
}

const ZERO = Buffer.of(0);

/** True for a range_end of "\0": every key from the start key on. */
export function isOpenEnded(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** The interval a permission (or a request's key and range_end) names. */
export function intervalOf(key: Buffer, rangeEnd: Buffer): KeyInterval {
  if (rangeEnd.length === 0) return { begin: key, end: Buffer.concat([key, ZERO]) };
  if (isOpenEnded(rangeEnd)) return { begin: key, end: null };
  return { begin: key, end: rangeEnd };
}

/** etcd's isValidPermissionRange: a key, and a range_end that is empty, "\0" or after the key. */
export function isValidPermissionRange(key: Buffer, rangeEnd: Buffer): boolean {
  if (key.length === 0) return false;
  if (rangeEnd.length === 0 || isOpenEnded(rangeEnd)) return true;
  return Buffer.compare(key, rangeEnd) < 0;
}

/** Compares two interval ends; null is +infinity. */
function compareEnd(a: Buffer | null, b: Buffer | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return Buffer.compare(a, b);
}

function isEmpty(interval: KeyInterval): boolean {
  return interval.end !== null && Buffer.compare(interval.begin, interval.end) >= 0;
}

/** Sorts and coalesces overlapping or touching intervals; drops empty ones. */
export function mergeIntervals(intervals: readonly KeyInterval[]): KeyInterval[] {
  const sorted = intervals.filter((i) => !isEmpty(i)).sort((a, b) => Buffer.compare(a.begin, b.begin));
  const out: KeyInterval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.end === null || Buffer.compare(next.begin, last.end) <= 0)) {
      if (compareEnd(next.end, last.end) > 0) out[out.length - 1] = { begin: last.begin, end: next.end };
    } else {
      out.push(next);
    }
  }
  return out;
}

/** A user's permissions from the permissions of all its roles. */
export function mergePermissions(permissions: Iterable<Permission>): MergedPermissions {
  const read: KeyInterval[] = [];
  const write: KeyInterval[] = [];
  for (const p of permissions) {
    const interval = intervalOf(p.key, p.rangeEnd);
    if (p.permType !== "WRITE") read.push(interval);
    if (p.permType !== "READ") write.push(interval);
  }
  return { read: mergeIntervals(read), write: mergeIntervals(write) };
}

/** Whether the merged intervals (sorted, disjoint) cover the whole of `wanted`. */
export function covers(merged: readonly KeyInterval[], wanted: KeyInterval): boolean {
  if (isEmpty(wanted)) return false;
  // The last interval starting at or before wanted.begin is the only one that can cover it.
  let lo = 0;
  let hi = merged.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(merged[mid]!.begin, wanted.begin) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const candidate = merged[lo - 1];
  if (candidate === undefined) return false;
  if (compareEnd(candidate.end, wanted.begin) <= 0) return false;
  return compareEnd(wanted.end, candidate.end) <= 0;
}

/**
 * Whether a request on [key, rangeEnd) (etcd's encoding: empty rangeEnd = the key alone, "\0" =
 * to the end) of the given kind is permitted by `perms`.
 */
export function rangePermitted(
  perms: MergedPermissions,
  kind: "read" | "write",
  key: Buffer,
  rangeEnd: Buffer,
): boolean {
  return covers(kind === "read" ? perms.read : perms.write, intervalOf(key, rangeEnd));
}
