// The data dir's identity records the cluster token it was created with (a restart checks a
// --cluster-token against it); identities written before the token was recorded still decode.

import { describe, expect, it } from "vitest";
import { decodeIdentity, encodeIdentity, FORMAT_VERSION } from "../../src/storage/codec.js";

describe("the identity record", () => {
  it("round-trips the cluster token", () => {
    const identity = {
      formatVersion: FORMAT_VERSION,
      name: "a",
      clusterId: 7,
      memberId: 9,
      clusterToken: "t-1",
    };
    expect(decodeIdentity(encodeIdentity(identity))).toEqual(identity);
  });

  it("decodes an identity without a token (written by an older raftkv)", () => {
    const identity = { formatVersion: FORMAT_VERSION, name: "a", clusterId: 7, memberId: 9 };
    const decoded = decodeIdentity(encodeIdentity(identity));
    expect(decoded).toEqual(identity);
    expect("clusterToken" in decoded).toBe(false);
  });
});
