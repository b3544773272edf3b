/**
 * crc32(data, previous) continues a checksum; crc32(data) starts one.
 *
 * Empty data leaves the checksum as it is. Node's zlib.crc32 gets that wrong for an empty view
 * without a backing store (LevelDB hands out empty values so): zlib's crc32(crc, NULL, 0) means
 * "give me the initial value" and answers 0, dropping the running checksum.
 */
export declare const crc32: (data: Uint8Array, value?: number) => number;
