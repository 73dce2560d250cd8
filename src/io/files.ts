/**
 * Reading manifest files the user drops or picks: JSON as text, gzip (as GetImageSetMetadata
 * returns it, saved to disk) undone with the browser's DecompressionStream.
 */
export interface ManifestFile {
  name: string;
  content: string;
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
