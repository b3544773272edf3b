// The clean-shutdown marker: a witness of the durable log tail kept OUTSIDE LevelDB.
//
// LevelDB treats a write-ahead log that ends early as a write torn by a crash and opens silently
// at the last complete record. That is right after a crash (the lost records were never synced,
// hence never acknowledged) but hides a .log file truncated after a clean shutdown, when every
// record was synced. So on close the data dir makes everything durable (a synced barrier write),
// then records {first, last index, last term, hard state, snapshot} in `<dataDir>/raft-shutdown`
// (temp file, fsync, rename, fsync dir). The next open compares the loaded log with it and
// removes it before any write. After a crash there is no marker and nothing to compare: a .log
// truncated then is indistinguishable from unsynced writes lost in the crash.
import { open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import { StorageError } from "./errors.js";
const MAGIC = Buffer.from("RKVSTOP1", "latin1");
const FIELDS = 8;
const MARKER_BYTES = MAGIC.length + FIELDS * 8 + 4;
const TWO_POW_32 = 0x1_0000_0000;
export function shutdownMarkerPath(dataDir) {
    return join(dataDir, "raft-shutdown");
}
function fields(tail) {
    const hs = tail.hardState;
    return [
        tail.firstIndex,
        tail.lastIndex,
        tail.lastTerm,
        hs.term,
        hs.vote,
        hs.commit,
        tail.snapshotIndex,
        tail.snapshotTerm,
    ];
}
async function syncDir(dir) {
    const fh = await open(dir, "r");
    try {
        await fh.sync();
    }
    finally {
        await fh.close();
    }
}
export async function writeShutdownMarker(dataDir, tail) {
    const buf = Buffer.alloc(MARKER_BYTES);
    MAGIC.copy(buf, 0);
    fields(tail).forEach((value, i) => {
        const at = MAGIC.length + i * 8;
        buf.writeUInt32BE(Math.floor(value / TWO_POW_32), at);
        buf.writeUInt32BE(value >>> 0, at + 4);
    });
    buf.writeUInt32BE(crc32(buf.subarray(0, MARKER_BYTES - 4)), MARKER_BYTES - 4);
    const path = shutdownMarkerPath(dataDir);
    const temp = `${path}.tmp`;
    const fh = await open(temp, "w");
    try {
        await fh.writeFile(buf);
        await fh.sync();
    }
    finally {
        await fh.close();
    }
    await rename(temp, path);
    await syncDir(dirname(path));
}
/** The recorded tail, or null when there is no marker (first start, or after a crash). */
export async function readShutdownMarker(dataDir) {
    const path = shutdownMarkerPath(dataDir);
    let buf;
    try {
        buf = await readFile(path);
    }
    catch (err) {
        if (err.code === "ENOENT")
            return null;
        throw err;
    }
    if (buf.length !== MARKER_BYTES ||
        !buf.subarray(0, MAGIC.length).equals(MAGIC) ||
        crc32(buf.subarray(0, MARKER_BYTES - 4)) !== buf.readUInt32BE(MARKER_BYTES - 4)) {
        throw new StorageError("RAFTKV_CORRUPT_STORE", `corrupt shutdown marker ${path}`);
    }
    const values = [];
    for (let i = 0; i < FIELDS; i++) {
        const at = MAGIC.length + i * 8;
        values.push(buf.readUInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4));
    }
    return values;
}
const FIELD_NAMES = [
    "first index",
    "last index",
    "last term",
    "hard state term",
    "vote",
    "commit index",
    "snapshot index",
    "snapshot term",
];
/** Describe how the loaded tail differs from the marker, or null when it matches. */
export function tailMismatch(recorded, loaded) {
    const now = fields(loaded);
    const diffs = FIELD_NAMES.flatMap((name, i) => recorded[i] === now[i] ? [] : [`${name} ${recorded[i]} at shutdown, ${now[i]} now`]);
    return diffs.length === 0 ? null : diffs.join(", ");
}
export async function removeShutdownMarker(dataDir) {
    await rm(shutdownMarkerPath(dataDir), { force: true });
    await syncDir(dataDir);
}
//# sourceMappingURL=shutdown-marker.js.map