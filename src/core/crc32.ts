/**
 * CRC-32 (IEEE 802.3 / zlib), the checksum AHI publishes for decoded pixels. Uses the `crc-32`
 * package (slice-by-16 table implementation) over any byte view, without copying.
 */
import CRC32 from 'crc-32';

/** Unsigned CRC-32 of `bytes`. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return CRC32.buf(bytes, seed) >>> 0;
}
