// The replicated auth table (src/kv/auth.ts) applied through the real command encoding: etcd's
// rules and errors, the auth revision, and that users and roles survive a reopen and travel in
// snapshots (including into a store that had other auth state).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppliedBatch, KvError } from "../../src/kv/index.js";
import type { AuthResult } from "../../src/kv/mvcc.js";
import { b, Harness, ok } from "./helpers.js";

let h: Harness;

beforeEach(async () => {
  h = await Harness.create();
});

afterEach(async () => {
  await h.close();
});

async function fails(result: Promise<unknown>, message: string): Promise<void> {
  const r = await result;
  expect(r).toBeInstanceOf(KvError);
  expect((r as KvError).message).toBe(message);
}

const userAdd = (name: string, hash = `hash-of-${name}`) =>
  h.run("authUserAdd", { name, password: "", options: null, hashedPassword: hash });
const grant = (user: string, role: string) => h.run("authUserGrantRole", { user, role });
const readwrite = (key: string, rangeEnd: string) => ({
  permType: "READWRITE" as const,
  key: b(key),
  rangeEnd: b(rangeEnd),
});

describe("auth table", () => {
  it("enabling needs a root user with the root role", async () => {
    await fails(h.run("authEnable", {}), "etcdserver: root user does not exist");
    ok(await userAdd("root"));
    await fails(h.run("authEnable", {}), "etcdserver: root user does not have root role");
    // The root role need not exist to be granted (etcd: it is built in).
    ok(await grant("root", "root"));
    ok(await h.run("authEnable", {}));
    expect(h.sm.auth.enabled).toBe(true);
    // Enabling again is a no-op; root cannot be deleted or lose root while enabled.
    ok(await h.run("authEnable", {}));
    await fails(h.run("authUserDelete", { name: "root" }), "etcdserver: invalid auth management");
    await fails(
      h.run("authUserRevokeRole", { name: "root", role: "root" }),
      "etcdserver: invalid auth management",
    );
    ok(await h.run("authDisable", {}));
    expect(h.sm.auth.enabled).toBe(false);
  });

  it("users and roles with etcd's errors; every change is one auth revision", async () => {
    const start = h.sm.auth.revision;
    expect(start).toBe(1);
    await fails(userAdd(""), "etcdserver: user name is empty");
    ok(await userAdd("alice"));
    await fails(userAdd("alice"), "etcdserver: user name already exists");
    await fails(h.run("authRoleAdd", { name: "" }), "etcdserver: role name is empty");
    ok(await h.run("authRoleAdd", { name: "r" }));
    await fails(h.run("authRoleAdd", { name: "r" }), "etcdserver: role name already exists");
    await fails(grant("bob", "r"), "etcdserver: user name not found");
    await fails(grant("alice", "nope"), "etcdserver: role name not found");
    ok(await grant("alice", "r"));
    ok(await grant("alice", "r")); // already held: nothing changes
    expect(h.sm.auth.revision).toBe(start + 3);
    ok(await h.run("authRoleGrantPermission", { name: "r", perm: readwrite("/app/", "/app0") }));
    ok(await h.run("authRoleGrantPermission", { name: "r", perm: readwrite("/a", "") }));
    // Granting the same range again replaces its type.
    ok(
      await h.run("authRoleGrantPermission", {
        name: "r",
        perm: { permType: "READ", key: b("/a"), rangeEnd: b("") },
      }),
    );
    expect(h.sm.auth.role("r")?.permissions.map((p) => [p.key.toString(), p.permType])).toEqual([
      ["/a", "READ"],
      ["/app/", "READWRITE"],
    ]);
    await fails(
      h.run("authRoleGrantPermission", { name: "r", perm: readwrite("z", "a") }),
      "etcdserver: invalid auth management",
    );
    await fails(
      h.run("authRoleGrantPermission", { name: "r", perm: null }),
      "etcdserver: permission not given",
    );
    await fails(
      h.run("authRoleRevokePermission", { role: "r", key: b("/b"), rangeEnd: b("") }),
      "etcdserver: permission is not granted to the role",
    );
    ok(await h.run("authRoleRevokePermission", { role: "r", key: b("/a"), rangeEnd: b("") }));
    await fails(
      h.run("authUserRevokeRole", { name: "alice", role: "x" }),
      "etcdserver: role is not granted to the user",
    );
    expect(h.sm.auth.revision).toBe(start + 7);

    // Deleting a role takes it from its users.
    ok(await h.run("authRoleDelete", { role: "r" }));
    expect(h.sm.auth.user("alice")?.roles).toEqual([]);
    await fails(h.run("authRoleDelete", { role: "r" }), "etcdserver: role name not found");
    ok(await h.run("authUserDelete", { name: "alice" }));
    await fails(h.run("authUserDelete", { name: "alice" }), "etcdserver: user name not found");
    expect(h.sm.auth.userNames()).toEqual([]);
  });

  it("merged permissions follow role changes", async () => {
    ok(await userAdd("alice"));
    ok(await h.run("authRoleAdd", { name: "r" }));
    ok(await grant("alice", "r"));
    expect(h.sm.auth.permissionsOf("alice")?.write).toEqual([]);
    ok(await h.run("authRoleGrantPermission", { name: "r", perm: readwrite("k", "") }));
    expect(h.sm.auth.permissionsOf("alice")?.write.length).toBe(1);
    ok(await h.run("authUserRevokeRole", { name: "alice", role: "r" }));
    expect(h.sm.auth.permissionsOf("alice")?.write).toEqual([]);
  });

  it("authenticate assigns the proposed token at the checked revision only", async () => {
    ok(await userAdd("root"));
    ok(await grant("root", "root"));
    const batches: AppliedBatch[] = [];
    h.sm.onApplied((batch) => batches.push(batch));
    await fails(
      h.run("authenticate", { name: "root", simpleToken: "t0", authRevision: h.sm.auth.revision }),
      "etcdserver: authentication is not enabled",
    );
    ok(await h.run("authEnable", {}));
    const revision = h.sm.auth.revision;
    const r = ok(await h.run("authenticate", { name: "root", simpleToken: "t1", authRevision: revision }));
    expect((r as AuthResult).token).toBe("t1");
    expect(batches.at(-1)?.auth.tokens).toEqual([{ token: "t1", user: "root" }]);
    await fails(
      h.run("authenticate", { name: "root", simpleToken: "t2", authRevision: revision - 1 }),
      "etcdserver: revision of auth store is old",
    );
    await fails(
      h.run("authenticate", { name: "nobody", simpleToken: "t3", authRevision: revision }),
      "etcdserver: authentication failed, invalid user ID or password",
    );
    ok(await h.run("authUserChangePassword", { name: "root", password: "", hashedPassword: "new" }));
    expect(batches.at(-1)?.auth.invalidated).toEqual(["root"]);
    expect(h.sm.auth.user("root")?.password.toString()).toBe("new");
    ok(await h.run("authDisable", {}));
    expect(batches.at(-1)?.auth.allVoid).toBe(true);
  });

  it("survives a reopen", async () => {
    ok(await userAdd("root"));
    ok(await grant("root", "root"));
    ok(await userAdd("alice", "alice-hash"));
    ok(await h.run("authRoleAdd", { name: "r" }));
    ok(await h.run("authRoleGrantPermission", { name: "r", perm: readwrite("/app/", "/app0") }));
    ok(await grant("alice", "r"));
    ok(await h.run("authEnable", {}));
    const revision = h.sm.auth.revision;
    await h.reopen();
    expect(h.sm.auth.enabled).toBe(true);
    expect(h.sm.auth.revision).toBe(revision);
    expect(h.sm.auth.userNames()).toEqual(["alice", "root"]);
    expect(h.sm.auth.user("alice")).toMatchObject({ roles: ["r"], noPassword: false });
    expect(h.sm.auth.user("alice")?.password.toString()).toBe("alice-hash");
    expect(h.sm.auth.role("r")?.permissions).toEqual([readwrite("/app/", "/app0")]);
  });

  it("a snapshot carries users, roles, the enabled flag and the revision", async () => {
    ok(await userAdd("root"));
    ok(await grant("root", "root"));
    ok(await h.run("authRoleAdd", { name: "r" }));
    ok(await h.run("authEnable", {}));
    await h.put("k", "v");
    const other = await Harness.create();
    try {
      // Replaced by the import.
      ok(await other.run("authUserAdd", { name: "stale", password: "", options: null, hashedPassword: "x" }));
      const batches: AppliedBatch[] = [];
      other.sm.onApplied((batch) => batches.push(batch));
      await other.sm.importSnapshot(h.sm.exportSnapshot());
      // The tokens a member knew are void: the users and passwords were replaced.
      expect(batches.map((batch) => [batch.snapshot, batch.auth.allVoid])).toEqual([[true, true]]);
      expect(other.sm.auth.enabled).toBe(true);
      expect(other.sm.auth.revision).toBe(h.sm.auth.revision);
      expect(other.sm.auth.userNames()).toEqual(["root"]);
      expect(other.sm.auth.roleNames()).toEqual(["r"]);
      expect(other.sm.auth.hasRootRole("root")).toBe(true);
    } finally {
      await other.close();
    }
  });

  it("a version 1 snapshot (before auth) still imports, with auth never configured", async () => {
    await h.put("k", "v");
    const chunks: Buffer[] = [];
    for await (const chunk of h.sm.exportSnapshot()) chunks.push(chunk);
    const v2 = Buffer.concat(chunks);
    expect(v2[4]).toBe(2);
    // A v1 stream is byte for byte the same framing with version byte 1; recompute its checksum.
    const { crc32 } = await import("../../src/kv/crc32.js");
    const v1 = Buffer.from(v2);
    v1[4] = 1;
    v1.writeUInt32BE(crc32(v1.subarray(0, v1.length - 4)), v1.length - 4);
    const other = await Harness.create();
    try {
      await other.sm.importSnapshot(
        (async function* () {
          yield v1;
        })(),
      );
      expect(await other.keys("k")).toEqual(["k"]);
      expect(other.sm.auth.enabled).toBe(false);
      expect(other.sm.auth.revision).toBe(1);
    } finally {
      await other.close();
    }
  });
});
