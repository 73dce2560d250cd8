import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readManifestFile } from './files';

describe('manifest files', () => {
  it('reads JSON as text and undoes gzip (a saved GetImageSetMetadata response)', async () => {
    const json = JSON.stringify({ DatastoreID: 'a'.repeat(32) });
    const plain = Object.assign(new Blob([json]), { name: 'm.json' });
    const gz = Object.assign(new Blob([gzipSync(json)]), { name: 'metadata.json.gz' });
    expect(await readManifestFile(plain)).toEqual({ name: 'm.json', content: json });
    expect(await readManifestFile(gz)).toEqual({ name: 'metadata.json.gz', content: json });
  });
});
