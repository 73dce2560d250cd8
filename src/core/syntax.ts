/**
 * The transfer syntaxes AHI stores, what GetImageFrame's Content-Type is for each, and whether a
 * frame in it can be lossy (which decides what its checksum can prove). From AHI's developer guide
 * (supported transfer syntaxes) and the GetImageFrame API reference: lossless imports are
 * transcoded to HTJ2K lossless RPCL (.4.202) or, in a JPEG_2000_LOSSLESS datastore, JPEG 2000
 * lossless (.4.90); the rest are kept as imported. No StoredTransferSyntaxUID means .4.202.
 */

export interface SyntaxInfo {
  uid: string;
  name: string;
  /** what GetImageFrame answers with */
  contentType: string;
  /** the frame may be lossy: decoders may differ, so a checksum mismatch does not prove damage */
  mayBeLossy: boolean;
  /** video: stored as received, never decoded frame by frame */
  video: boolean;
}

const S = (
  uid: string,
  name: string,
  contentType: string,
  mayBeLossy: boolean,
  video = false,
): SyntaxInfo => ({ uid, name, contentType, mayBeLossy, video });

export const DEFAULT_SYNTAX = '1.2.840.10008.1.2.4.202';

export const SYNTAXES: readonly SyntaxInfo[] = [
  S(
    '1.2.840.10008.1.2.1',
    'Explicit VR Little Endian (uncompressed)',
    'application/octet-stream',
    false,
  ),
  S('1.2.840.10008.1.2.4.50', 'JPEG baseline', 'image/jpeg', true),
  S('1.2.840.10008.1.2.4.90', 'JPEG 2000 lossless', 'image/j2c', false),
  S('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'image/j2c', true),
  S('1.2.840.10008.1.2.4.201', 'HTJ2K lossless', 'image/jph', false),
  S('1.2.840.10008.1.2.4.202', 'HTJ2K lossless RPCL', 'image/jph', false),
  S('1.2.840.10008.1.2.4.203', 'HTJ2K', 'image/jphc', true),
  S('1.2.840.10008.1.2.4.110', 'JPEG XL lossless', 'image/jxl', false),
  S('1.2.840.10008.1.2.4.111', 'JPEG XL JPEG recompression', 'image/jxl', true),
  S('1.2.840.10008.1.2.4.112', 'JPEG XL', 'image/jxl', true),
  S('1.2.840.10008.1.2.4.100', 'MPEG-2', 'video/mpeg', true, true),
  S('1.2.840.10008.1.2.4.101', 'MPEG-2 High Level', 'video/mpeg', true, true),
  S('1.2.840.10008.1.2.4.102', 'H.264', 'video/mp4', true, true),
  S('1.2.840.10008.1.2.4.103', 'H.264 (BD)', 'video/mp4', true, true),
  S('1.2.840.10008.1.2.4.104', 'H.264 2D', 'video/mp4', true, true),
  S('1.2.840.10008.1.2.4.105', 'H.264 3D', 'video/mp4', true, true),
  S('1.2.840.10008.1.2.4.106', 'H.264 Stereo', 'video/mp4', true, true),
  S('1.2.840.10008.1.2.4.107', 'HEVC', 'video/H256', true, true),
  S('1.2.840.10008.1.2.4.108', 'HEVC Main 10', 'video/H256', true, true),
];

const BY_UID = new Map(SYNTAXES.map((s) => [s.uid, s]));

/** What the metadata's StoredTransferSyntaxUID names (none: .4.202); undefined when unknown. */
export function syntaxInfo(uid: string | undefined): SyntaxInfo | undefined {
  return BY_UID.get(uid ?? DEFAULT_SYNTAX);
}

/**
 * What a frame's body is, for deciding what its checksum proves: the metadata's syntax when it
 * names one, else what its Content-Type allows (lossy if any syntax sent with it may be).
 */
export function describeBody(uid: string | undefined, contentType: string): SyntaxInfo | undefined {
  if (uid !== undefined) return syntaxInfo(uid);
  const candidates = SYNTAXES.filter(
    (s) => s.contentType.toLowerCase() === contentType.toLowerCase(),
  );
  if (candidates.length === 0) return undefined;
  const lossy = candidates.find((s) => s.mayBeLossy);
  return lossy ?? candidates[candidates.length - 1];
}

const VIDEO_TYPES = new Set(
  SYNTAXES.filter((s) => s.video).map((s) => s.contentType.toLowerCase()),
);

/** Content-Types of video bodies (stored as received, never decoded); asked once per frame. */
export const isVideo = (contentType: string): boolean => VIDEO_TYPES.has(contentType.toLowerCase());

/**
 * Whether a response's Content-Type is what the metadata's syntax says AHI sends. A contradiction
 * is reported, not guessed around: one of the two is wrong. Unknown syntaxes are not judged.
 */
export function contentTypeMatches(uid: string | undefined, contentType: string): boolean {
  const info = syntaxInfo(uid);
  return !info || info.contentType.toLowerCase() === contentType.toLowerCase();
}

/** The file extension an export gives a frame kept as received, by Content-Type. */
export function extensionFor(contentType: string): string {
  switch (contentType.toLowerCase()) {
    case 'image/jph':
    case 'image/jphc':
      return 'jph';
    case 'image/j2c':
      return 'j2c';
    case 'image/jpeg':
      return 'jpg';
    case 'image/jxl':
      return 'jxl';
    case 'video/mpeg':
      return 'mpg';
    case 'video/mp4':
      return 'mp4';
    case 'video/h256':
      return 'hevc';
    default:
      return 'raw';
  }
}
