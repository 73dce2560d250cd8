/**
 * What of a destination folder is still intact: every frame record names its file and that file's
 * size and CRC-32 when it was written; a file that is gone, of another size or with another CRC-32
 * (damaged, edited, truncated by a crash) makes each of its frames missing, so a resume fetches
 * them again. Each file is read once, streamed (memory stays flat), a few at a time.
 */
import { crc32Hasher } from '../../core/crc32';
import type { StoredFrame } from '../../core/sink';
import type { Files } from '../folder';
import type { DestinationRecords } from './records';

/** Files read at a time. */
const READS = 4;

async function fileCrc(file: Blob): Promise<number> {
  const h = await crc32Hasher();
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return h.value();
    h.update(value);
  }
}

/** The job's frame records whose file in `folder` is as written, and every record read. */
export async function intactFrames(
  frameRecords: DestinationRecords,
  folder: Files,
): Promise<{ intact: Set<string>; records: Map<string, StoredFrame> }> {
  const records = new Map<string, StoredFrame>();
  const byFile = new Map<string, StoredFrame[]>();
  const intact = new Set<string>();
  for await (const batch of frameRecords.batches(1000)) {
    for (const f of batch) {
      records.set(f.key, f);
      // Verified and left out by the format: nothing on disk to check.
      if (f.file === undefined) {
        if (f.leftOut) intact.add(f.key);
        continue;
      }
      const list = byFile.get(f.file) ?? [];
      list.push(f);
      byFile.set(f.file, list);
    }
  }
  const files = [...byFile];
  const check = async () => {
    for (let next = files.pop(); next; next = files.pop()) {
      const [path, frames] = next;
      const file = await folder.read(path);
      const want = frames[0]!;
      if (!file || file.size !== want.fileSize) continue;
      if ((await fileCrc(file)) !== want.fileCrc) continue;
      for (const f of frames) intact.add(f.key);
    }
  };
  await Promise.all(Array.from({ length: READS }, check));
  return { intact, records };
}
