import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry, EntryType } from "../../src/raft/types.js";

export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `raftkv-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic payload for entry `index` written in term `term`. */
export function payload(index: number, term: number, bytes = 16): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return data;
}

/** Entries [from, to] all in `term`. */
export function ents(from: number, to: number, term: number, type: EntryType = "normal"): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type, data: payload(i, term) });
  return out;
}

/** Entries as plain comparable values (data as arrays). */
export function plain(
  entries: readonly Entry[],
): { index: number; term: number; type: EntryType; data: number[] }[] {
  return entries.map((e) => ({ index: e.index, term: e.term, type: e.type, data: [...e.data] }));
}
