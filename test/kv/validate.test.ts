// Validation before proposing: etcd's rules and messages.

import { describe, expect, it } from "vitest";
import {
  COMMAND_HEADER_BYTES,
  DEFAULT_KV_LIMITS,
  encodeCommand,
  type KvErrorCode,
  kvErrorInfo,
  type TxnRequest,
  validateDeleteRange,
  validatePut,
  validateRange,
  validateTxn,
} from "../../src/kv/index.js";
import { cmp, deleteReq, opDelete, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from "./helpers.js";

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe("error catalogue", () => {
  it.each<[KvErrorCode, number, string]>([
    ["RAFTKV_KEY_NOT_PROVIDED", 3, "etcdserver: key is not provided"],
    ["RAFTKV_KEY_NOT_FOUND", 3, "etcdserver: key not found"],
    ["RAFTKV_VALUE_PROVIDED", 3, "etcdserver: value is provided"],
    ["RAFTKV_LEASE_PROVIDED", 3, "etcdserver: lease is provided"],
    ["RAFTKV_TOO_MANY_TXN_OPS", 3, "etcdserver: too many operations in txn request"],
    ["RAFTKV_DUPLICATE_KEY", 3, "etcdserver: duplicate key given in txn request"],
    ["RAFTKV_REQUEST_TOO_LARGE", 3, "etcdserver: request is too large"],
    ["RAFTKV_COMPACTED", 11, "etcdserver: mvcc: required revision has been compacted"],
    ["RAFTKV_FUTURE_REVISION", 11, "etcdserver: mvcc: required revision is a future revision"],
    ["RAFTKV_LEASE_NOT_FOUND", 5, "etcdserver: requested lease not found"],
  ])("%s", (code, grpcCode, message) => {
    expect(kvErrorInfo(code)).toEqual({ grpcCode, message });
  });
});

describe("single requests", () => {
  it.each<[string, () => void, string | undefined]>([
    ["range ok", () => validateRange(rangeReq("a")), undefined],
    ["range without key", () => validateRange(rangeReq("")), "RAFTKV_KEY_NOT_PROVIDED"],
    ["put ok", () => validatePut(putReq("a", "1")), undefined],
    ["put without key", () => validatePut(putReq("", "1")), "RAFTKV_KEY_NOT_PROVIDED"],
    [
      "ignore_value with a value",
      () => validatePut(putReq("a", "1", { ignoreValue: true })),
      "RAFTKV_VALUE_PROVIDED",
    ],
    ["ignore_value without value", () => validatePut(putReq("a", "", { ignoreValue: true })), undefined],
    [
      "ignore_lease with a lease",
      () => validatePut(putReq("a", "", { ignoreLease: true, lease: 1 })),
      "RAFTKV_LEASE_PROVIDED",
    ],
    ["delete without key", () => validateDeleteRange(deleteReq("")), "RAFTKV_KEY_NOT_PROVIDED"],
    ["delete ok", () => validateDeleteRange(deleteReq("a", "\0")), undefined],
  ])("%s", (_name, fn, code) => {
    expect(codeOf(fn)).toBe(code);
  });

  it("refuses requests over the size limit, counting exactly as encoded", () => {
    const limits = { ...DEFAULT_KV_LIMITS, maxRequestBytes: 1000 };
    const fits = putReq("k", "");
    const encoded = encodeCommand(1n, "put", fits).length;
    const value = "v".repeat(1000 - encoded - 3); // 3: the value's tag and 2-byte length
    const exact = putReq("k", value);
    expect(encodeCommand(1n, "put", exact).length).toBe(1000);
    expect(codeOf(() => validatePut(exact, limits))).toBeUndefined();
    expect(codeOf(() => validatePut(putReq("k", `${value}x`), limits))).toBe("RAFTKV_REQUEST_TOO_LARGE");
    expect(codeOf(() => validateDeleteRange(deleteReq("k".repeat(1000)), limits))).toBe(
      "RAFTKV_REQUEST_TOO_LARGE",
    );
    expect(COMMAND_HEADER_BYTES).toBe(10);
  });
});

describe("txn", () => {
  const put = (k: string) => opPut(putReq(k, "v"));
  const del = (k: string, end = "") => opDelete(deleteReq(k, end));

  it.each<[string, TxnRequest, string | undefined]>([
    ["ok", txnReq([cmp("a", "VERSION", "EQUAL", 0)], [put("a")], [opRange(rangeReq("a"))]), undefined],
    ["compare without key", txnReq([cmp("", "VERSION", "EQUAL", 0)]), "RAFTKV_KEY_NOT_PROVIDED"],
    ["put without key", txnReq([], [put("")]), "RAFTKV_KEY_NOT_PROVIDED"],
    ["range without key", txnReq([], [], [opRange(rangeReq(""))]), "RAFTKV_KEY_NOT_PROVIDED"],
    ["empty op", txnReq([], [{}]), "RAFTKV_KEY_NOT_FOUND"],
    [
      "value with ignore_value",
      txnReq([], [opPut(putReq("a", "x", { ignoreValue: true }))]),
      "RAFTKV_VALUE_PROVIDED",
    ],
    ["duplicate put", txnReq([], [put("a"), put("a")]), "RAFTKV_DUPLICATE_KEY"],
    ["same key in success and failure", txnReq([], [put("a")], [put("a")]), undefined],
    ["put under a delete", txnReq([], [del("a", "c"), put("b")]), "RAFTKV_DUPLICATE_KEY"],
    ["put and delete of the key", txnReq([], [put("a"), del("a")]), "RAFTKV_DUPLICATE_KEY"],
    ["put beside a delete", txnReq([], [del("a", "c"), put("c")]), undefined],
    ["two overlapping deletes", txnReq([], [del("a", "c"), del("b", "d")]), undefined],
    // etcd takes a "\0" range_end literally here, so it sees no overlap
    ["put under a from-key delete (etcd quirk)", txnReq([], [del("a", "\0"), put("b")]), undefined],
    ["nested put twice", txnReq([], [put("a"), opTxn(txnReq([], [put("a")]))]), "RAFTKV_DUPLICATE_KEY"],
    [
      "nested put under a delete",
      txnReq([], [del("a", "z"), opTxn(txnReq([], [], [put("b")]))]),
      "RAFTKV_DUPLICATE_KEY",
    ],
    ["nested then/else same key", txnReq([], [opTxn(txnReq([], [put("a")], [put("a")]))]), undefined],
    [
      "two nested txns putting the same key",
      txnReq([], [opTxn(txnReq([], [put("a")])), opTxn(txnReq([], [put("a")]))]),
      "RAFTKV_DUPLICATE_KEY",
    ],
    [
      "nested delete over an outer put",
      txnReq([], [put("b"), opTxn(txnReq([], [del("a", "z")]))]),
      "RAFTKV_DUPLICATE_KEY",
    ],
  ])("%s", (_name, req, code) => {
    expect(codeOf(() => validateTxn(req))).toBe(code);
  });

  it("limits operations per level, nested txns sharing the budget", () => {
    const ops = (n: number) => Array.from({ length: n }, (_, i) => put(`k${i}`));
    expect(codeOf(() => validateTxn(txnReq([], ops(128))))).toBeUndefined();
    expect(codeOf(() => validateTxn(txnReq([], ops(129))))).toBe("RAFTKV_TOO_MANY_TXN_OPS");
    const compares = Array.from({ length: 129 }, () => cmp("a", "VERSION", "EQUAL", 0));
    expect(codeOf(() => validateTxn(txnReq(compares)))).toBe("RAFTKV_TOO_MANY_TXN_OPS");
    const nested = (n: number) =>
      txnReq(
        [],
        [
          ...ops(100),
          opTxn(
            txnReq(
              [],
              Array.from({ length: n }, (_, i) => put(`n${i}`)),
            ),
          ),
        ],
      );
    expect(codeOf(() => validateTxn(nested(27)))).toBeUndefined();
    expect(codeOf(() => validateTxn(nested(29)))).toBe("RAFTKV_TOO_MANY_TXN_OPS");
    expect(codeOf(() => validateTxn(txnReq([], ops(10)), { maxTxnOps: 5, maxRequestBytes: 1e6 }))).toBe(
      "RAFTKV_TOO_MANY_TXN_OPS",
    );
  });

  it("computes the txn size exactly as encoded", () => {
    const req = txnReq(
      [
        cmp("a", "VERSION", "EQUAL", 0),
        cmp("b", "VALUE", "NOT_EQUAL", "x", "c"),
        cmp("k", "MOD", "GREATER", 300),
      ],
      [put("a"), opRange(rangeReq("a", "b", { limit: 5, sortOrder: "DESCEND", revision: -1 }))],
      [del("z", "\0"), opTxn(txnReq([cmp("q", "LEASE", "EQUAL", 1)], [put("q")]))],
    );
    const size = encodeCommand(1n, "txn", req).length;
    expect(codeOf(() => validateTxn(req, { maxTxnOps: 128, maxRequestBytes: size }))).toBeUndefined();
    expect(codeOf(() => validateTxn(req, { maxTxnOps: 128, maxRequestBytes: size - 1 }))).toBe(
      "RAFTKV_REQUEST_TOO_LARGE",
    );
  });
});
