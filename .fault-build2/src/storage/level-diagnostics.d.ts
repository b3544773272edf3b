/** Lines of `<dbDir>/LOG` (written afresh by each open) reporting dropped log records. */
export declare function recoveryDrops(dbDir: string): Promise<string[]>;
interface TableRange {
    readonly file: string;
    readonly level: number;
    readonly smallest: Buffer;
    readonly largest: Buffer;
}
/** Parse LevelDB's "leveldb.sstables" property: ` 17:123['a' @ 5 : 1 .. 'd' @ 9 : 1]` per file. */
export declare function parseSstables(property: string): TableRange[];
/** Table files (paths, newest level first) whose key range covers `key`; null when unknown. */
export declare function tablesCovering(db: unknown, dbDir: string, key: Buffer): {
    path: string;
    level: number;
}[] | null;
/**
 * Where LevelDB keeps `key`: the table files whose key range covers it, or the write-ahead log
 * when no table does (it is still in the memtable). Best effort, for error messages. With the
 * damaged `value`, the tables are searched for its bytes (found when the block is not compressed),
 * which names the one file that holds it.
 */
export declare function locateKey(db: unknown, dbDir: string, key: Buffer, value?: Buffer): Promise<string>;
/**
 * The table files that hold a block LevelDB cannot read (bad compression, bad block layout), for
 * the message of a failed load: LevelDB's "Corruption: corrupted compressed block contents" names
 * no file. Each table's own key range is read in turn. That read covers every block of the table
 * (and parts of the tables overlapping it), so a table whose range reads back is sound; a failing
 * table that overlaps no other failing table is the damaged one; otherwise all failing tables are
 * suspects and all are named. Best effort: [] when nothing fails (the damage is elsewhere).
 */
export declare function unreadableTables(db: unknown, dbDir: string): Promise<string[]>;
export {};
