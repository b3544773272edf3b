// Password hashing for auth users: node's built-in scrypt (RFC 7914) with a random 16-byte salt
// per password. The member that receives UserAdd or UserChangePassword hashes the password before
// proposing (as etcd does with bcrypt), so only the hash reaches the Raft log, the store and
// snapshots.
//
// Stored form (UTF-8): "scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>". The parameters travel
// with the hash, so they can change later without invalidating stored passwords.

import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const SCHEME = "scrypt";
/** scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, tens of ms: about bcrypt cost 10, etcd's default). */
const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters beyond these (a corrupt or hostile hash must not exhaust memory). */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const maxmem = 256 * params.N * params.r + 1024 * 1024;
    scrypt(password, salt, KEY_BYTES, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** A salted scrypt hash of `password`, in the stored form. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, DEFAULT_PARAMS);
  const { N, r, p } = DEFAULT_PARAMS;
  return [SCHEME, N, r, p, salt.toString("base64"), key.toString("base64")].join("$");
}

/** Whether `password` matches a stored hash. A malformed hash matches nothing. */
export async function verifyPassword(password: string, stored: Buffer | string): Promise<boolean> {
  const parts = (typeof stored === "string" ? stored : stored.toString("utf8")).split("$");
  if (parts.length !== 6 || parts[0] !== SCHEME) return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const valid =
    Number.isInteger(N) &&
    N > 1 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r > 0 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p > 0 &&
    p <= MAX_P;
  if (!valid) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const expected = Buffer.from(parts[5]!, "base64");
  if (expected.length !== KEY_BYTES) return false;
  const key = await derive(password, salt, { N, r, p });
  return timingSafeEqual(key, expected);
}
