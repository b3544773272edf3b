// memberAttributes: a member publishes its name and client URLs through Raft (etcd's "publish").
// Applied deterministically into the member metadata of a known member; idempotent; no revision.
// And the CRC-32 the KV snapshot stream and HashKV rely on, over empty LevelDB values.

import { afterEach, describe, expect, it } from "vitest";
import { crc32 } from "../../src/kv/crc32.js";
import { decodeCommand, encodeCommand, KIND_CODES, type Member } from "../../src/kv/index.js";
import { Harness } from "./helpers.js";

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(): Promise<Harness> {
  const h = await Harness.create();
  harnesses.push(h);
  return h;
}

const attrs = (ID: number, name: string, clientURLs: string[]): Member => ({
  ID,
  name,
  peerURLs: ["http://ignored:1"],
  clientURLs,
  isLearner: false,
});

describe("memberAttributes", () => {
  it("encodes as kind 32 with etcdserverpb.Member and round-trips", () => {
    const bytes = encodeCommand(5n, "memberAttributes", attrs(2 ** 52, "n1", ["http://a:2379"]));
    expect(bytes[1]).toBe(KIND_CODES.memberAttributes);
    expect(bytes[1]).toBe(32);
    const back = decodeCommand(bytes);
    expect(back.kind).toBe("memberAttributes");
    expect(back.request).toEqual({ ...attrs(2 ** 52, "n1", ["http://a:2379"]) });
  });

  it("sets name and client URLs of a known member, keeps its peer URLs, takes no revision", async () => {
    const h = await harness();
    const peer = { name: "n1", peerURLs: ["http://a:2380"], clientURLs: [] };
    await h.sm.apply([{ index: ++h.index, data: new Uint8Array(0), members: [{ id: 7, member: peer }] }]);
    const revision = h.sm.revision;
    const hash = await await h.sm.hashKV();
    expect(await h.run("memberAttributes", attrs(7, "n1", ["http://a:2379"]))).toBeUndefined();
    const expected = { name: "n1", peerURLs: ["http://a:2380"], clientURLs: ["http://a:2379"] };
    expect(h.sm.member(7)).toEqual(expected);
    expect(await h.sm.loadMembers()).toEqual([[7, expected]]);
    expect(h.sm.revision).toBe(revision);
    expect(await await h.sm.hashKV()).toBe(hash);
    // Idempotent: the same again changes nothing; it survives a reopen.
    await h.run("memberAttributes", attrs(7, "n1", ["http://a:2379"]));
    await h.reopen();
    expect(h.sm.member(7)).toEqual(expected);
    expect(h.sm.appliedIndex).toBe(h.index);
  });

  it("ignores an unknown or removed member (no record is created)", async () => {
    const h = await harness();
    await h.run("memberAttributes", attrs(9, "ghost", ["http://g:2379"]));
    expect(h.sm.member(9)).toBeUndefined();
    const peer = { name: "n2", peerURLs: ["http://b:2380"], clientURLs: [] };
    await h.sm.apply([{ index: ++h.index, data: new Uint8Array(0), members: [{ id: 3, member: peer }] }]);
    await h.sm.apply([{ index: ++h.index, data: new Uint8Array(0), members: [{ id: 3, member: null }] }]);
    await h.run("memberAttributes", attrs(3, "n2", ["http://b:2379"]));
    expect(await h.sm.loadMembers()).toEqual([]);
  });

  it("travels in snapshots", async () => {
    const h = await harness();
    const peer = { name: "n1", peerURLs: ["http://a:2380"], clientURLs: [] };
    await h.sm.apply([{ index: ++h.index, data: new Uint8Array(0), members: [{ id: 7, member: peer }] }]);
    await h.run("memberAttributes", attrs(7, "n1", ["http://a:2379"]));
    const target = await harness();
    await target.sm.importSnapshot(h.sm.exportSnapshot());
    expect(target.sm.member(7)).toEqual({ ...peer, clientURLs: ["http://a:2379"] });
  });
});

describe("crc32", () => {
  it("leaves the checksum alone on empty data, whatever backs it", () => {
    const running = crc32(Buffer.from("hello"));
    for (const empty of [
      Buffer.alloc(0),
      Buffer.from(new ArrayBuffer(0)), // LevelDB's empty values look like this
      new Uint8Array(0),
      Buffer.from("abc").subarray(3),
    ]) {
      expect(crc32(empty, running)).toBe(running);
    }
    expect(crc32(Buffer.from(" world"), running)).toBe(crc32(Buffer.from("hello world")));
  });

  it("a KV snapshot of a store holding an empty value reads back (the stored sync marker is one)", async () => {
    const h = await harness();
    await h.put("k", "");
    await h.put("k2", "v");
    await h.sm.persist(); // writes an empty-valued marker
    await h.reopen(); // values now come from LevelDB
    const target = await harness();
    await target.sm.importSnapshot(h.sm.exportSnapshot());
    expect(await target.keys("k", "l")).toEqual(["k", "k2"]);
    expect(await await target.sm.hashKV()).toBe(await await h.sm.hashKV());
  });
});
