// What LevelDB (classic-level) does not tell through its API, read from its own files.
//
// classic-level opens LevelDB with paranoid_checks = false and reads with verify_checksums = false
// (neither is exposed). With paranoid_checks off, LevelDB *skips* write-ahead-log records whose
// checksum fails during recovery and opens anyway; the only trace is a line in the info log
// `<db>/LOG`: "(ignoring error) <db>/000003.log: dropping 1234 bytes; Corruption: checksum mismatch".
// (A record torn at the very end of the file — the writer died mid-write, so it was never synced —
// is dropped silently, as it should be.) `recoveryDrops` finds those lines so the store can refuse
// to open: the dropped records may have been acknowledged (synced) writes.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
/** Lines of `<dbDir>/LOG` (written afresh by each open) reporting dropped log records. */
export async function recoveryDrops(dbDir) {
    let text;
    try {
        text = await readFile(join(dbDir, "LOG"), "latin1");
    }
    catch {
        return [];
    }
    return text
        .split("\n")
        .filter((line) => /: dropping \d+ bytes; /.test(line))
        .map((line) => line.replace(/^\S+ \S+ /, "").trim());
}
function unescapeLevelKey(text) {
    const bytes = [];
    for (let i = 0; i < text.length; i++) {
        if (text[i] === "\\" && text[i + 1] === "x" && /^[0-9a-f]{2}$/.test(text.slice(i + 2, i + 4))) {
            bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
            i += 3;
        }
        else {
            bytes.push(text.charCodeAt(i) & 0xff);
        }
    }
    return Buffer.from(bytes);
}
/** Parse LevelDB's "leveldb.sstables" property: ` 17:123['a' @ 5 : 1 .. 'd' @ 9 : 1]` per file. */
export function parseSstables(property) {
    const ranges = [];
    let level = 0;
    for (const line of property.split("\n")) {
        const header = /^--- level (\d+) ---$/.exec(line);
        if (header !== null) {
            level = Number(header[1]);
            continue;
        }
        const m = /^ (\d+):\d+\['(.*)' @ \d+ : \d+ \.\. '(.*)' @ \d+ : \d+\]$/.exec(line);
        if (m === null)
            continue;
        ranges.push({
            file: `${m[1].padStart(6, "0")}.ldb`,
            level,
            smallest: unescapeLevelKey(m[2]),
            largest: unescapeLevelKey(m[3]),
        });
    }
    return ranges;
}
/** Table files (paths, newest level first) whose key range covers `key`; null when unknown. */
export function tablesCovering(db, dbDir, key) {
    let property;
    try {
        property = db.getProperty("leveldb.sstables");
    }
    catch {
        return null;
    }
    return parseSstables(property)
        .filter((t) => Buffer.compare(t.smallest, key) <= 0 && Buffer.compare(key, t.largest) <= 0)
        .map((t) => ({ path: join(dbDir, t.file), level: t.level }));
}
/**
 * Where LevelDB keeps `key`: the table files whose key range covers it, or the write-ahead log
 * when no table does (it is still in the memtable). Best effort, for error messages. With the
 * damaged `value`, the tables are searched for its bytes (found when the block is not compressed),
 * which names the one file that holds it.
 */
export async function locateKey(db, dbDir, key, value) {
    const tables = tablesCovering(db, dbDir, key);
    if (tables === null)
        return `in ${dbDir}`;
    if (tables.length === 0)
        return `in the write-ahead log ${join(dbDir, "*.log")} (no table file covers it)`;
    if (value !== undefined && value.length >= 16) {
        for (const table of tables) {
            try {
                if ((await readFile(table.path)).includes(value))
                    return `in table file ${table.path}`;
            }
            catch {
                // unreadable: keep looking
            }
        }
    }
    return `in table file ${tables.map((t) => `${t.path} (level ${t.level})`).join(" or ")}`;
}
/**
 * The table files that hold a block LevelDB cannot read (bad compression, bad block layout), for
 * the message of a failed load: LevelDB's "Corruption: corrupted compressed block contents" names
 * no file. Each table's own key range is read in turn. That read covers every block of the table
 * (and parts of the tables overlapping it), so a table whose range reads back is sound; a failing
 * table that overlaps no other failing table is the damaged one; otherwise all failing tables are
 * suspects and all are named. Best effort: [] when nothing fails (the damage is elsewhere).
 */
export async function unreadableTables(db, dbDir) {
    const level = db;
    let tables;
    try {
        tables = parseSstables(level.getProperty("leveldb.sstables"));
    }
    catch {
        return [];
    }
    const failed = new Set();
    for (const table of tables) {
        const iterator = level.iterator({
            gte: table.smallest,
            lte: table.largest,
            keyEncoding: "buffer",
            valueEncoding: "buffer",
        });
        try {
            while ((await iterator.nextv(1000)).length > 0) {
                // read through every block of the table
            }
        }
        catch {
            failed.add(table);
        }
        finally {
            await iterator.close().catch(() => { });
        }
    }
    const overlaps = (a, b) => Buffer.compare(a.smallest, b.largest) <= 0 && Buffer.compare(b.smallest, a.largest) <= 0;
    const suspects = [...failed];
    const sure = suspects.filter((t) => !suspects.some((o) => o !== t && overlaps(o, t)));
    return (sure.length > 0 ? sure : suspects).map((t) => join(dbDir, t.file));
}
//# sourceMappingURL=level-diagnostics.js.map