// The value cache's arena (src/kv/value-arena.ts): cached values are copied into slabs of their
// own, a slab is counted at its full size while it holds any cached value and is dropped when its
// last one is released; a large value gets a buffer of its own.

import { describe, expect, it } from "vitest";
import { MAX_SLAB_BYTES, ValueArena } from "../../src/kv/value-arena.js";

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

describe("ValueArena", () => {
  it("copies values into one slab, never into Node's shared pool", () => {
    const arena = new ValueArena(64 * 1024 * 1024);
    const source = Buffer.from("a value that came in a request");
    const copy = arena.copy(source);
    expect(copy.equals(source)).toBe(true);
    expect(copy.buffer).not.toBe(source.buffer);
    expect(copy.buffer.byteLength).toBe(MAX_SLAB_BYTES);
    source.fill(0); // the request's memory is reused: the cached copy is not affected
    expect(copy.toString()).toBe("a value that came in a request");
    const second = arena.copy(bytes(256, 7));
    expect(second.buffer).toBe(copy.buffer);
    expect(second.byteOffset).toBe(copy.byteOffset + copy.length);
    expect(arena.bytes).toBe(MAX_SLAB_BYTES);
    expect(arena.slabs).toBe(1);
  });

  it("counts a slab while any of its values is cached, holes included, and drops it after the last", () => {
    const arena = new ValueArena(32 * 1024); // slabs of 1 KiB
    const values = Array.from({ length: 8 }, (_, i) => arena.copy(bytes(200, i)));
    // 5 values fill the first 1 KiB slab, the other 3 start a second.
    expect(arena.slabs).toBe(2);
    expect(arena.bytes).toBe(2048);
    for (const v of values.slice(0, 4)) arena.release(v);
    expect(arena.bytes).toBe(2048); // one value still holds the first slab
    arena.release(values[4]!);
    expect(arena.bytes).toBe(1024);
    expect(values[5]![0]).toBe(5); // the others are untouched
    for (const v of values.slice(5)) arena.release(v);
    expect(arena.bytes).toBe(0);
    expect(arena.slabs).toBe(0);
    // The emptied open slab is not written again: a new value starts a new one.
    const next = arena.copy(bytes(10, 9));
    expect(next.buffer).not.toBe(values[7]!.buffer);
    expect(arena.bytes).toBe(1024);
  });

  it("gives a value larger than a quarter slab a buffer of its own, counted at its size", () => {
    const arena = new ValueArena(32 * 1024);
    const big = arena.copy(bytes(300, 1));
    expect(big.buffer.byteLength).toBe(300);
    expect(arena.bytes).toBe(300);
    const small = arena.copy(bytes(10, 2));
    expect(arena.bytes).toBe(300 + 1024);
    arena.release(big);
    expect(arena.bytes).toBe(1024);
    arena.release(small);
    expect(arena.bytes).toBe(0);
  });

  it("copies empty values and refuses to release what it did not copy", () => {
    const arena = new ValueArena(1024 * 1024);
    const empty = arena.copy(Buffer.alloc(0));
    expect(empty.length).toBe(0);
    expect(arena.slabs).toBe(1);
    arena.release(empty);
    expect(arena.slabs).toBe(0);
    expect(() => arena.release(Buffer.from("elsewhere"))).toThrow(/did not hold/);
  });
});
