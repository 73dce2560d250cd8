/** Names inside export bundles: ahi-retrieve's extensions, and safe top-level source names. */
import { describe, expect, it } from 'vitest';
import { extensionOf, sourceFileName } from './ahiRetrieve';

describe('bundle names', () => {
  it('names frames by what they hold', () => {
    expect(extensionOf({ kind: 'codestream', contentType: 'image/jph' })).toBe('jph');
    expect(extensionOf({ kind: 'codestream', contentType: 'image/jphc' })).toBe('jph');
    expect(extensionOf({ kind: 'codestream', contentType: 'image/j2c' })).toBe('j2c');
    expect(extensionOf({ kind: 'codestream', contentType: 'image/jpeg' })).toBe('jpg');
    expect(extensionOf({ kind: 'codestream', contentType: 'application/octet-stream' })).toBe(
      'raw',
    );
    // decoded pixels are .raw whatever the stored syntax was
    expect(extensionOf({ kind: 'pixels', contentType: 'image/jph' })).toBe('raw');
  });

  it('keeps sources at the top level, as JSON files', () => {
    expect(sourceFileName('nema-manifest.json')).toBe('nema-manifest.json');
    expect(sourceFileName('ff72-metadata.json')).toBe('ff72-metadata.json');
    expect(sourceFileName('metadata.json.gz')).toBe('metadata.json');
    expect(sourceFileName('C:\\data\\my manifest.json')).toBe('my-manifest.json');
    expect(sourceFileName('../../etc/passwd')).toBe('passwd.json');
    expect(sourceFileName('pasted')).toBe('pasted.json');
    expect(sourceFileName('   ')).toBe('source.json');
  });
});
