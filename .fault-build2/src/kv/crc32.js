// CRC-32 (IEEE), incremental. zlib.crc32 where Node has it (>= 20.15), else a table.
import * as zlib from "node:zlib";
let table;
function tableCrc32(data, value) {
    if (table === undefined) {
        table = new Uint32Array(256);
        for (let n = 0; n < 256; n++) {
            let c = n;
            for (let k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
            table[n] = c >>> 0;
        }
    }
    let crc = (value ^ 0xffffffff) >>> 0;
    for (const byte of data)
        crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
}
/**
 * crc32(data, previous) continues a checksum; crc32(data) starts one.
 *
 * Empty data leaves the checksum as it is. Node's zlib.crc32 gets that wrong for an empty view
 * without a backing store (LevelDB hands out empty values so): zlib's crc32(crc, NULL, 0) means
 * "give me the initial value" and answers 0, dropping the running checksum.
 */
export const crc32 = typeof zlib.crc32 === "function"
    ? (data, value = 0) => (data.byteLength === 0 ? value >>> 0 : zlib.crc32(data, value))
    : (data, value = 0) => tableCrc32(data, value);
//# sourceMappingURL=crc32.js.map