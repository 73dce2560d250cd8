/**
 * Decoding and verifying one fetched frame, as its format and syntax need: what its result says,
 * what its record adds, the decoded pixels a raw job stores instead of the body, and the decoded
 * view (for the worker's statistics and the viewer's preview). core/verification.ts says what a
 * checksum proves per syntax; the codec registry says which decoder reads the body.
 */
import type { DecodedView } from '../src/core/codec';
import { crc32 } from '../src/core/crc32';
import { RetrieveError } from '../src/core/errors';
import type { FrameResult, FrameTask, WorkerConfig } from '../src/core/protocol';
import type { StoredFrame } from '../src/core/sink';
import { describeBody, isVideo } from '../src/core/syntax';
import { judge, undecodableReason, VIDEO_REASON } from '../src/core/verification';
import { codecFor, DECODABLE_NAMES } from './codec/registry';

export interface CheckedFrame {
  result: Pick<FrameResult, 'outcome' | 'checksum' | 'reason'>;
  record: Partial<StoredFrame>;
  /** raw: the decoded pixels to store (a view, valid until the codec's next call) */
  pixels?: Uint8Array;
  /** the decoded view, when the frame was decoded */
  view?: DecodedView;
}

/**
 * Decodes and verifies a frame as its format and syntax need (core/verification.ts says what a
 * checksum proves per syntax): what its result says, what its record adds, and, for raw, the
 * decoded pixels to store instead of the body (a view that stays valid until the next decode).
 * @throws RetrieveError ChecksumMismatch, DecodeFailed, UnsupportedSyntax
 */
export function checkFrame(
  task: FrameTask,
  config: WorkerConfig,
  body: Uint8Array,
  contentType: string,
  timings: FrameResult['timings'],
): CheckedFrame {
  const mustDecode = config.format !== 'jph' || config.verify || task.wantPixels === true;
  const wanted = config.format !== 'jph' || config.verify;
  const checkable = task.checksum !== undefined && wanted;
  // `always`: the frame could not be checked whatever its metadata says (video): whoever asked
  // for verification is told why, rather than seeing "no checksum".
  const unverifiable = (reason: string, always = false) =>
    checkable || (always && wanted)
      ? { result: { outcome: 'unverifiable' as const, reason }, record: { note: reason } }
      : { result: { outcome: 'stored' as const }, record: {} };
  if (!mustDecode) return { result: { outcome: 'stored' }, record: {} };
  // Video is kept as received in every format.
  if (isVideo(contentType)) return unverifiable(VIDEO_REASON, true);
  const codec = codecFor(contentType);
  if (!codec) {
    if (config.format === 'jph') return unverifiable(undecodableReason(contentType));
    throw new RetrieveError(
      'UnsupportedSyntax',
      `Frame ${task.frameId} is stored as ${contentType}, which this app cannot decode (it decodes ${DECODABLE_NAMES}); choose the jph format to save it as received`,
    );
  }
  const t0 = performance.now();
  let view: DecodedView;
  try {
    view = codec.decode(body, {
      ...(task.geometry ? { geometry: task.geometry } : {}),
      ...(task.syntax ? { syntax: task.syntax } : {}),
    });
  } catch (e) {
    // jph keeps what this build cannot decode faithfully (JPEG XL past 8 bits) as received.
    if (config.format === 'jph' && e instanceof RetrieveError && e.code === 'UnsupportedSyntax')
      return unverifiable(e.message);
    throw e;
  }
  const t1 = performance.now();
  const checksum = crc32(view.pixels);
  timings.decodeMs = t1 - t0;
  timings.crcMs = performance.now() - t1;
  const verdict = judge(
    task.checksum,
    checksum,
    describeBody(task.syntax, contentType),
    task.attempt,
  );
  if (verdict.outcome === 'mismatch')
    throw new RetrieveError(
      'ChecksumMismatch',
      `Frame ${task.frameId}: CRC-32 of the decoded pixels is ${checksum}, AHI's metadata says ${task.checksum}`,
    );
  const reason = verdict.outcome === 'unverifiable' ? verdict.reason : undefined;
  // The record names the frame's own CRCs; the result's reason is the same for every such frame.
  const note =
    verdict.outcome === 'unverifiable' ? `${verdict.reason} (${verdict.detail})` : undefined;
  const { pixels, ...geometry } = view;
  return {
    result: { outcome: verdict.outcome, checksum, ...(reason ? { reason } : {}) },
    // Geometry is kept for codestreams too: the viewer reads uncompressed ones without a plan.
    record: {
      checksum,
      verified: verdict.outcome === 'verified',
      ...geometry,
      ...(note ? { note } : {}),
      ...(config.format === 'raw' ? { kind: 'pixels' as const, size: pixels.length } : {}),
    },
    ...(config.format === 'raw' ? { pixels } : {}),
    view,
  };
}
