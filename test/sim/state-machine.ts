// The replicated state machine of the simulator. It does not interpret commands: it folds every
// applied entry into a running hash, so that "two nodes applied the same prefix" is one integer
// comparison, and a snapshot (the serialized machine) can be checked against the hash every other
// node had at the same index.

import type { Entry } from "../../src/raft/types.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes, continuing from `h`. */
export function fnv1a(bytes: Uint8Array, h = FNV_OFFSET): number {
  let x = h;
  for (let i = 0; i < bytes.length; i++) {
    x = Math.imul(x ^ bytes[i]!, FNV_PRIME);
  }
  return x >>> 0;
}

function mixNumber(h: number, n: number): number {
  let x = h;
  // Indexes and terms stay below 2^53; fold the high and low 32 bits.
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  x = Math.imul(x ^ lo, FNV_PRIME);
  x = Math.imul(x ^ hi, FNV_PRIME);
  return x >>> 0;
}

/** Identifies an entry's content (not its position): what state machine safety compares. */
export function entryContentHash(e: Entry): number {
  return fnv1a(e.data, e.type === "confChange" ? 0x2545f491 : FNV_OFFSET);
}

/** The hash of an applied prefix after applying `e` on top of `previous`. */
export function chainHash(previous: number, e: Entry): number {
  return mixNumber(mixNumber(previous, e.index), entryContentHash(e));
}

const SNAPSHOT_MAGIC = 0x53494d31; // "SIM1"
const SNAPSHOT_BYTES = 20;

export interface StateMachineImage {
  readonly appliedIndex: number;
  readonly chainHash: number;
  readonly appliedCount: number;
}

/** Durable in the simulator: it survives crashes and is updated atomically per Ready. */
export class SimStateMachine {
  appliedIndex = 0;
  chainHash = FNV_OFFSET;
  /** Entries applied by this machine since it was created or last restored (for traces). */
  appliedCount = 0;

  apply(e: Entry): void {
    this.chainHash = chainHash(this.chainHash, e);
    this.appliedIndex = e.index;
    this.appliedCount++;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(SNAPSHOT_BYTES);
    const view = new DataView(out.buffer);
    view.setUint32(0, SNAPSHOT_MAGIC);
    view.setFloat64(4, this.appliedIndex);
    view.setUint32(12, this.chainHash);
    view.setUint32(16, this.appliedCount);
    return out;
  }

  restore(image: StateMachineImage): void {
    this.appliedIndex = image.appliedIndex;
    this.chainHash = image.chainHash;
    this.appliedCount = image.appliedCount;
  }
}

/** Parses a snapshot's data; null when it is not a simulator image. */
export function decodeStateMachineImage(data: Uint8Array): StateMachineImage | null {
  if (data.byteLength !== SNAPSHOT_BYTES) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0) !== SNAPSHOT_MAGIC) return null;
  return {
    appliedIndex: view.getFloat64(4),
    chainHash: view.getUint32(12),
    appliedCount: view.getUint32(16),
  };
}

export const INITIAL_CHAIN_HASH = FNV_OFFSET;
