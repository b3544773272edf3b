// --value-cache-bytes as the CLI parses it (issue 13): the default, 0 (no cache), its RAFTKV_*
// variable, and a clear error naming the flag for a value that is not a whole number of bytes.
// (test/cluster/cli.test.ts checks the exit code 2 of the real process; test/cluster/memory-metrics
// that the value reaches the running node.) Then --snapshot-bytes and --snapshot-catchup-bytes
// (test/node/snapshot-bytes.test.ts checks what the member does with them).

import { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { configFromOptions, serverOptions } from "../../src/cli/server.js";
import { DEFAULT_VALUE_CACHE_BYTES } from "../../src/kv/index.js";
import { ConfigError, DEFAULTS } from "../../src/node/config.js";

const ENV = "RAFTKV_VALUE_CACHE_BYTES";

/** Flags and RAFTKV_* variables through commander, as `raftkv` parses them, then the config. */
function parse(args: readonly string[]) {
  const program = new Command("raftkv").exitOverride();
  for (const o of serverOptions()) program.addOption(o);
  program.parse([...args], { from: "user" });
  return configFromOptions(program.opts());
}

afterEach(() => {
  delete process.env[ENV];
});

describe("--value-cache-bytes", () => {
  it("defaults to the state machine's default, 64 MiB", () => {
    expect(DEFAULTS.valueCacheBytes).toBe(DEFAULT_VALUE_CACHE_BYTES);
    expect(DEFAULT_VALUE_CACHE_BYTES).toBe(64 * 1024 * 1024);
    expect(parse([]).valueCacheBytes).toBe(64 * 1024 * 1024);
  });

  it("takes a byte count, 0 (no cache) included", () => {
    expect(parse(["--value-cache-bytes", "1048576"]).valueCacheBytes).toBe(1048576);
    expect(parse(["--value-cache-bytes", "0"]).valueCacheBytes).toBe(0);
    expect(parse(["--value-cache-bytes=8589934592"]).valueCacheBytes).toBe(8 * 1024 ** 3);
  });

  it("reads RAFTKV_VALUE_CACHE_BYTES; the flag wins over it", () => {
    process.env[ENV] = "2097152";
    expect(parse([]).valueCacheBytes).toBe(2097152);
    process.env[ENV] = "0";
    expect(parse([]).valueCacheBytes).toBe(0);
    expect(parse(["--value-cache-bytes", "4096"]).valueCacheBytes).toBe(4096);
  });

  it("refuses a negative, fractional, empty or non-numeric value, naming the flag", () => {
    for (const bad of ["-1", "1.5", "64MiB", "abc", "", " "]) {
      expect(() => parse(["--value-cache-bytes", bad]), JSON.stringify(bad)).toThrow(ConfigError);
      expect(() => parse(["--value-cache-bytes", bad]), JSON.stringify(bad)).toThrow(
        `--value-cache-bytes: "${bad}" is not a whole number (0 or more)`,
      );
    }
    process.env[ENV] = "-5";
    expect(() => parse([])).toThrow('--value-cache-bytes: "-5" is not a whole number (0 or more)');
  });
});

describe("--snapshot-bytes and --snapshot-catchup-bytes", () => {
  const ENVS = ["RAFTKV_SNAPSHOT_BYTES", "RAFTKV_SNAPSHOT_CATCHUP_BYTES"];
  afterEach(() => {
    for (const e of ENVS) delete process.env[e];
  });

  it("default to 64 MiB each", () => {
    expect(parse([]).snapshotBytes).toBe(64 * 1024 * 1024);
    expect(parse([]).snapshotCatchUpBytes).toBe(64 * 1024 * 1024);
    expect(DEFAULTS.snapshotBytes).toBe(64 * 1024 * 1024);
    expect(DEFAULTS.snapshotCatchUpBytes).toBe(64 * 1024 * 1024);
  });

  it("take a byte count; 0 only for the catch-up (keep no entry behind a snapshot)", () => {
    const c = parse(["--snapshot-bytes", "65536", "--snapshot-catchup-bytes=0"]);
    expect(c.snapshotBytes).toBe(65536);
    expect(c.snapshotCatchUpBytes).toBe(0);
    expect(() => parse(["--snapshot-bytes", "0"])).toThrow('--snapshot-bytes: "0" is not a positive integer');
    for (const bad of ["-1", "1.5", "64MiB", ""]) {
      expect(() => parse(["--snapshot-catchup-bytes", bad]), JSON.stringify(bad)).toThrow(
        `--snapshot-catchup-bytes: "${bad}" is not a whole number (0 or more)`,
      );
    }
  });

  it("read RAFTKV_SNAPSHOT_BYTES and RAFTKV_SNAPSHOT_CATCHUP_BYTES; the flags win over them", () => {
    process.env.RAFTKV_SNAPSHOT_BYTES = "1048576";
    process.env.RAFTKV_SNAPSHOT_CATCHUP_BYTES = "4096";
    expect(parse([]).snapshotBytes).toBe(1048576);
    expect(parse([]).snapshotCatchUpBytes).toBe(4096);
    expect(parse(["--snapshot-bytes", "2048"]).snapshotBytes).toBe(2048);
  });
});
