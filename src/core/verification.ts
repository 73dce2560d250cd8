/**
 * What a frame's checksum can prove, per syntax. AHI publishes, per frame, the CRC-32 of the
 * full-resolution pixels it decoded (PixelDataChecksumFromBaseToFullResolution). For a lossless
 * syntax every correct decoder gives the same pixels, so a match proves the frame intact and a
 * mismatch proves it damaged. For a syntax that may be lossy (JPEG, JPEG 2000 and HTJ2K with the
 * irreversible wavelet, JPEG XL) AHI does not document what it decodes with, and decoders may
 * round differently: a match still proves the frame, a mismatch proves nothing. Such a frame is
 * fetched once more (a damaged transfer would differ), then kept as "stored, not verifiable" with
 * the reason, never shown as verified and never as failed. Video is never decoded.
 */
import type { SyntaxInfo } from './syntax';

export type Verdict =
  | { outcome: 'verified' }
  /** no checksum to compare: stored, unchecked */
  | { outcome: 'stored' }
  /** `reason` is the same for every such frame of a syntax; `detail` names this frame's CRCs */
  | { outcome: 'unverifiable'; reason: string; detail: string }
  /** a lossless frame's pixels differ, or a lossy one's on the first attempt: fetch again */
  | { outcome: 'mismatch' };

export function judge(
  expected: number | undefined,
  got: number,
  syntax: SyntaxInfo | undefined,
  attempt: number,
): Verdict {
  if (expected === undefined) return { outcome: 'stored' };
  if (got === expected) return { outcome: 'verified' };
  if (!syntax?.mayBeLossy || attempt < 2) return { outcome: 'mismatch' };
  return {
    outcome: 'unverifiable',
    reason: `${syntax.name} may be lossy, and this decoder's pixels differ from the ones AHI checksummed on two fetches: the bytes are kept as AHI sent them`,
    detail: `CRC-32 ${got}, AHI ${expected}`,
  };
}

/** Why a video frame is stored without a check. */
export const VIDEO_REASON =
  'video is stored as received and never decoded frame by frame, so its checksum is not checked';

/** Why a frame no decoder here reads is stored without a check (the jph format keeps it). */
export const undecodableReason = (what: string) =>
  `no decoder here reads ${what}: it is kept as received, unchecked`;
