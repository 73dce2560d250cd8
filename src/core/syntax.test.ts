import { describe, expect, it } from 'vitest';
import { contentTypeMatches, extensionFor, isVideo, syntaxInfo } from './syntax';

describe('stored syntaxes', () => {
  it('reads a missing StoredTransferSyntaxUID as HTJ2K lossless RPCL', () => {
    expect(syntaxInfo(undefined)?.uid).toBe('1.2.840.10008.1.2.4.202');
    expect(contentTypeMatches(undefined, 'image/jph')).toBe(true);
    expect(contentTypeMatches(undefined, 'image/j2c')).toBe(false);
  });

  it("knows each syntax's Content-Type, AWS's spelling of HEVC included", () => {
    expect(syntaxInfo('1.2.840.10008.1.2.4.90')?.contentType).toBe('image/j2c');
    expect(syntaxInfo('1.2.840.10008.1.2.4.203')?.contentType).toBe('image/jphc');
    expect(syntaxInfo('1.2.840.10008.1.2.4.112')?.contentType).toBe('image/jxl');
    expect(syntaxInfo('1.2.840.10008.1.2.4.107')?.contentType).toBe('video/H256');
    expect(contentTypeMatches('1.2.840.10008.1.2.4.50', 'image/jpeg')).toBe(true);
    expect(contentTypeMatches('1.2.840.10008.1.2.4.50', 'image/jph')).toBe(false);
    expect(contentTypeMatches('9.9.9', 'image/whatever')).toBe(true);
  });

  it('tells video from images, and names each kind of file', () => {
    expect(isVideo('video/mp4')).toBe(true);
    expect(isVideo('video/H256')).toBe(true);
    expect(isVideo('image/jpeg')).toBe(false);
    expect(
      [
        'image/jph',
        'image/jphc',
        'image/j2c',
        'image/jpeg',
        'image/jxl',
        'video/mpeg',
        'video/mp4',
        'video/H256',
        'application/octet-stream',
      ].map(extensionFor),
    ).toEqual(['jph', 'jph', 'j2c', 'jpg', 'jxl', 'mpg', 'mp4', 'hevc', 'raw']);
  });
});
