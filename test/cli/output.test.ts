// The client commands' output helpers: etcdctl-style tables, grpc-js messages without a dangling
// "Resolution note:", integer flag parsing, and the command `members add` prints.

import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { startCommand } from "../../src/cli/member-commands.js";
import { cleanErrorMessage, humanBytes, intArg, renderTable } from "../../src/cli/output.js";

describe("cleanErrorMessage", () => {
  it("drops grpc-js's empty 'Resolution note:' and keeps a real one", () => {
    expect(
      cleanErrorMessage(
        "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ",
      ),
    ).toBe("No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1");
    expect(cleanErrorMessage("No addresses resolved. Resolution note: DNS lookup failed")).toBe(
      "No addresses resolved (resolution: DNS lookup failed)",
    );
    expect(cleanErrorMessage("etcdserver: key is not provided")).toBe("etcdserver: key is not provided");
  });
});

describe("renderTable", () => {
  it("draws a header, padded cells and borders, as etcdctl -w table", () => {
    expect(renderTable(["ID", "NAME"], [["0000000000000001", "a"]])).toBe(
      [
        "+------------------+------+",
        "|        ID        | NAME |",
        "+------------------+------+",
        "| 0000000000000001 | a    |",
        "+------------------+------+",
        "",
      ].join("\n"),
    );
  });

  it("humanBytes writes sizes as etcdctl does", () => {
    expect(humanBytes(0)).toBe("0 B");
    expect(humanBytes(20_480)).toBe("20 kB");
    expect(humanBytes(1_234_567)).toBe("1.2 MB");
  });
});

describe("intArg", () => {
  it("accepts integers from the minimum, refuses anything else as a usage error", () => {
    const rev = intArg("--rev", 0);
    expect(rev("0")).toBe(0);
    expect(rev("42")).toBe(42);
    for (const bad of ["abc", "-1", "1.5", "", "1e3", "9007199254740993"]) {
      expect(() => rev(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe("the command members add prints", () => {
  it("names every flag a joining member needs, quoted for a shell where needed", () => {
    expect(
      startCommand({
        name: "d",
        peerAddress: "10.0.0.4:2380",
        clientAddress: "10.0.0.4:2379",
        join: ["10.0.0.1:2379", "10.0.0.2:2379"],
        clusterToken: "prod 1",
      }),
    ).toBe(
      "raftkv --name d --listen-peer 10.0.0.4:2380 --listen-client 10.0.0.4:2379 " +
        "--initial-cluster-state existing --join 10.0.0.1:2379,10.0.0.2:2379 --cluster-token 'prod 1'",
    );
  });
});
