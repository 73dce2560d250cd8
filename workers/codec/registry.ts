/**
 * The codec registry: every codec module, and the one a frame needs, chosen by the response's
 * Content-Type (what the bytes are). Adding a syntax is one codec module and one line here.
 */
import type { Codec } from '../../src/core/codec';
import type { CodecInfo } from '../../src/core/protocol';
import { htj2kCodec, warmUp as warmUpHtj2k } from './htj2k';
import { jpegCodec } from './jpeg';
import { jpeg2000Codec } from './jpeg2000';
import { jpegXlCodec } from './jpegxl';
import { uncompressedCodec } from './uncompressed';

export const CODECS: readonly Codec[] = [
  htj2kCodec,
  jpeg2000Codec,
  jpegCodec,
  jpegXlCodec,
  uncompressedCodec,
];

const byContentType = new Map(
  CODECS.flatMap((c) => c.contentTypes.map((t) => [t.toLowerCase(), c] as const)),
);

/** The codec for a body of this Content-Type; undefined when none here decodes it. */
export function codecFor(contentType: string): Codec | undefined {
  return byContentType.get(contentType.toLowerCase());
}

/** What the codecs decode, in words, for an UnsupportedSyntax message. */
export const DECODABLE_NAMES = CODECS.map((c) => c.name).join(', ');

/**
 * Loads and self-tests the codecs a worker needs before its first frame (see warmup.ts), and says
 * which HTJ2K build it runs.
 */
export async function warmUpCodecs(): Promise<CodecInfo> {
  const m = await warmUpHtj2k();
  return { version: m.getVersion(), simdLevel: m.getSIMDLevel() };
}
