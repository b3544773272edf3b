import { describe, expect, it } from "vitest";
import { parsePeerUrl } from "../../src/transport/index.js";
import { parseListenAddress } from "../../src/transport/url.js";

describe("parsePeerUrl", () => {
  it.each([
    ["http://10.0.0.1:2380", "10.0.0.1:2380", "http"],
    ["https://raftkv-0.raftkv.default.svc:2380", "raftkv-0.raftkv.default.svc:2380", "https"],
    ["https://raftkv-1:443", "raftkv-1:443", "https"],
    ["http://node", "node:2380", "http"],
    ["node-2:12380", "node-2:12380", null],
    ["[::1]:2380", "[::1]:2380", null],
    ["http://[fe80::1]:80/", "[fe80::1]:80", "http"],
  ])("%s", (input, target, scheme) => {
    expect(parsePeerUrl(input)).toMatchObject({ target, scheme });
  });

  it.each(["", "ftp://x:1", "http://x:1/a", "http://u:p@x:1", "http://x:99999", "http://x:1?q=1"])(
    "rejects %j",
    (input) => {
      expect(() => parsePeerUrl(input)).toThrow(TypeError);
    },
  );
});

describe("parseListenAddress", () => {
  it("accepts host:port, port 0 and URLs", () => {
    expect(parseListenAddress("127.0.0.1:0")).toBe("127.0.0.1:0");
    expect(parseListenAddress("http://0.0.0.0:2380")).toBe("0.0.0.0:2380");
    expect(parseListenAddress("[::]:2380")).toBe("[::]:2380");
    expect(() => parseListenAddress("2380")).toThrow(TypeError);
  });
});
