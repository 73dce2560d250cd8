/**
 * Reading manifest files the user drops or picks: JSON as text, gzip (as GetImageSetMetadata
 * returns it, saved to disk) undone with the browser's DecompressionStream, and zips of them (a
 * saved selection) read file by file.
 */
import { isZip, unzip } from './unzip';

export interface ManifestFile {
  name: string;
  content: string;
}

/** A dropped file's manifests: one, or each JSON file of a zip. */
export async function readManifestFiles(file: Blob & { name: string }): Promise<ManifestFile[]> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (!isZip(head)) return [await readManifestFile(file)];
  const decoder = new TextDecoder();
  return (await unzip(file, file.name))
    .filter((f) => /\.json$/i.test(f.name))
    .map((f) => ({ name: `${file.name}/${f.name}`, content: decoder.decode(f.data) }));
}

export async function readManifestFile(file: Blob & { name: string }): Promise<ManifestFile> {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const text = await new Response(
      file.stream().pipeThrough(new DecompressionStream('gzip')),
    ).text();
    return { name: file.name, content: text };
  }
  return { name: file.name, content: await file.text() };
}
