// Memory for the value cache's values (./mvcc.ts), counted as the process pays for it.
//
// A value copied with Buffer.from lands in Node's shared 8 KiB pool, beside whatever else the
// process allocated at the time (request buffers, keys, encoder scratch). One cached 256-byte
// value then keeps its whole 8 KiB slab alive: measured with 200k keys and the default 64 MiB
// cache, 197k cached values held 21k slabs, 164 MiB of ArrayBuffer memory.
//
// Here cached values are copied into slabs of their own, in the order they enter the cache. The
// cache evicts in about that order, so a slab empties as a whole and is freed. The arena counts
// every slab that still holds a cached value at its full size (the holes that superseded values
// leave included), so the cache's bound is a bound on the memory it keeps, not on the bytes of
// its values only. A value larger than a quarter slab gets a buffer of its own.

/** The largest slab; smaller under a small cache bound (a 32nd of it). */
export const MAX_SLAB_BYTES = 256 * 1024;

interface Slab {
  readonly bytes: number;
  /** Cached values in the slab. */
  values: number;
}

export class ValueArena {
  readonly #slabBytes: number;
  /** Every slab (and own buffer) holding a cached value, by its ArrayBuffer. */
  readonly #slabs = new Map<ArrayBufferLike, Slab>();
  #open: Buffer | null = null;
  #used = 0;
  #bytes = 0;

  /** `limit`: the cache's bound in bytes; slabs are sized from it. */
  constructor(limit: number) {
    this.#slabBytes = Math.min(MAX_SLAB_BYTES, Math.floor(limit / 32));
  }

  /** Bytes of every slab and own buffer that holds a cached value. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Slabs and own buffers holding cached values. */
  get slabs(): number {
    return this.#slabs.size;
  }

  /** A copy of `value` in the arena; counted until release() of the copy. */
  copy(value: Uint8Array): Buffer {
    const n = value.byteLength;
    if (n > this.#slabBytes >>> 2) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(value);
      this.#slabs.set(own.buffer, { bytes: n, values: 1 });
      this.#bytes += n;
      return own;
    }
    if (this.#open === null || this.#used + n > this.#open.length) {
      this.#open = Buffer.allocUnsafeSlow(this.#slabBytes);
      this.#used = 0;
      this.#slabs.set(this.#open.buffer, { bytes: this.#slabBytes, values: 0 });
      this.#bytes += this.#slabBytes;
    }
    const at = this.#used;
    this.#open.set(value, at);
    this.#used = at + n;
    this.#slabs.get(this.#open.buffer)!.values++;
    return this.#open.subarray(at, at + n);
  }

  /** `value` (a copy made here) left the cache: its slab goes when it holds no cached value. */
  release(value: Buffer): void {
    const slab = this.#slabs.get(value.buffer);
    if (slab === undefined) throw new Error("raftkv: released a value the arena did not hold");
    if (--slab.values > 0) return;
    this.#slabs.delete(value.buffer);
    this.#bytes -= slab.bytes;
    // An emptied open slab goes too: the next value starts a new one.
    if (this.#open !== null && value.buffer === this.#open.buffer) this.#open = null;
  }
}
