// The hand-written Put/Range response encoders against the generic one (proto-loader): whatever
// the response, both encodings decode to the same message.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeHeader, encodePutResponse, encodeRangeResponse } from "../../src/api/fast-encode.js";
import { apiServices } from "../../src/api/proto.js";

const kv = apiServices().kv;
const putSerialize = kv.Put.responseSerialize;
const putDeserialize = kv.Put.responseDeserialize;
const rangeSerialize = kv.Range.responseSerialize;
const rangeDeserialize = kv.Range.responseDeserialize;

const u53 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.maxSafeNat());
const header = fc.record({ clusterId: u53, memberId: u53, revision: u53, raftTerm: u53 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const keyValue = fc.record({
  key: bytes,
  createRevision: u53,
  modRevision: u53,
  version: u53,
  value: bytes,
  lease: u53,
});

describe("hand-written response encoders", () => {
  it("PutResponse decodes as the generic encoding does", () => {
    fc.assert(
      fc.property(header, fc.option(keyValue, { nil: null }), (h, prevKv) => {
        const response = { header: h, prevKv };
        const fast = encodePutResponse(response);
        expect(fast).not.toBeNull();
        expect(putDeserialize(fast!)).toEqual(putDeserialize(putSerialize(response)));
      }),
    );
  });

  it("RangeResponse decodes as the generic encoding does", () => {
    fc.assert(
      fc.property(header, fc.array(keyValue, { maxLength: 5 }), fc.boolean(), u53, (h, kvs, more, count) => {
        const response = { header: h, kvs, more, count };
        const fast = encodeRangeResponse(response);
        expect(fast).not.toBeNull();
        expect(rangeDeserialize(fast!)).toEqual(rangeDeserialize(rangeSerialize(response)));
      }),
    );
  });

  it("the header is encoded once per revision and reused", () => {
    const h = { clusterId: 7, memberId: 9, revision: 1234, raftTerm: 3 };
    const first = encodeHeader(h);
    expect(encodeHeader({ ...h })).toBe(first);
    expect(encodeHeader({ ...h, revision: 1235 })).not.toBe(first);
  });

  it("falls back (null) for what it does not handle: unsafe numbers, missing header", () => {
    expect(encodePutResponse({ header: null })).toBeNull();
    expect(
      encodeRangeResponse({ header: { clusterId: 1, memberId: 1, revision: 2 ** 60, raftTerm: 1 } }),
    ).toBeNull();
    expect(
      encodeRangeResponse({ header: { clusterId: 1, memberId: 1, revision: -1, raftTerm: 1 } }),
    ).toBeNull();
  });
});
