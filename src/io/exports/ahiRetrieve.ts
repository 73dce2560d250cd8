/**
 * Export format: ahi-retrieve's layout, so a pipeline built on ahi-retrieve opens the bundle as it
 * is: `<DatastoreID>/<ImageSetID>/<ImageFrameID>.jph` (codestreams as received) or `.raw` (decoded
 * pixels, little-endian), plus the manifest or metadata documents the job was planned from and
 * `checksums.csv`.
 */
import type { JobSource } from '../../core/job';
import type { StoredFrame } from '../../core/sink';
import { extensionFor } from '../../core/syntax';
import { getJobSources, readStoredFrames } from '../store';
import type { ZipEntry } from '../zip';
import { csvLine } from './csv';
import { instancesOf, seriesColumns, seriesKey } from './instances';
import type { ExportContext, ExportFormat } from './format';

export const CHECKSUMS_FILE = 'checksums.csv';
export const CHECKSUM_HEADER =
  'ImageFrameID,DatastoreID,ImageSetID,File,Format,Bytes,PixelCRC32,Verified\n';

/** The file extension for what a stored frame holds: `.raw` for pixels, else its syntax's own. */
export function extensionOf(frame: Pick<StoredFrame, 'kind' | 'contentType'>): string {
  return frame.kind === 'pixels' ? 'raw' : extensionFor(frame.contentType);
}

export const framePath = (f: StoredFrame) =>
  `${f.datastoreId}/${f.imageSetId}/${f.frameId}.${extensionOf(f)}`;

export function checksumLine(f: StoredFrame): string {
  const format = f.kind === 'pixels' ? 'raw' : f.contentType;
  const crc = f.checksum === undefined ? '' : String(f.checksum);
  const verified = f.verified ? 'yes' : f.note ? 'not verifiable' : 'no';
  return `${f.frameId},${f.datastoreId},${f.imageSetId},${framePath(f)},${format},${f.size},${crc},${verified}\n`;
}

/** A source's name as a top-level file name (no folders, no spaces; .json unless it has one). */
export function sourceFileName(name: string): string {
  const base = name.split(/[\\/]/).pop()!.trim().replace(/\s+/g, '-') || 'source';
  return /\.json(\.gz)?$/i.test(base) ? base.replace(/\.gz$/i, '') : `${base}.json`;
}

/** Every entry of a job's bundle: frames first (streamed), then sources and checksums. */
async function* entries({
  jobId,
  summary,
  progress,
  signal,
}: ExportContext): AsyncGenerator<ZipEntry> {
  const lines: string[] = [CHECKSUM_HEADER];
  const records: StoredFrame[] = [];
  for await (const f of readStoredFrames(jobId)) {
    signal.throwIfAborted();
    lines.push(checksumLine(f));
    const record: StoredFrame & { data?: ArrayBuffer } = { ...f };
    delete record.data;
    records.push(record);
    summary.frames++;
    summary.bytes += f.data.byteLength;
    yield { name: framePath(f), data: f.data, lastModified: new Date(f.storedAt || Date.now()) };
    progress(summary.frames, summary.bytes);
  }
  const sources = (await getJobSources(jobId)) ?? [];
  yield* sourceEntries(sources);
  yield seriesIndex(sources, records);
  yield { name: CHECKSUMS_FILE, data: lines.join('') };
}

/**
 * metadata.csv: a row per series (from the metadata documents; an image set known only from a
 * manifest is one row with what the manifest says), with its stored frames, bytes and frames
 * verified.
 */
export function seriesIndex(
  sources: JobSource[],
  records: Iterable<StoredFrame>,
  /** the frames this index covers (a runner shard's part): series with none of them are left out */
  within?: ReadonlySet<string>,
): ZipEntry {
  const byKey = new Map<string, StoredFrame>();
  for (const r of records) byKey.set(r.key, r);
  const rows = [
    'PatientID,StudyInstanceUID,SeriesInstanceUID,Modality,ImageSetID,Folder,Frames,Bytes,FramesVerified\n',
  ];
  const series = new Map<string, { head: unknown[]; frames: StoredFrame[]; covered: boolean }>();
  const placed = new Set<string>();
  for (const i of instancesOf(sources)) {
    const id = seriesKey(i);
    let s = series.get(id);
    if (!s) {
      s = {
        head: [...seriesColumns(i), `${i.datastoreId}/${i.imageSetId}`],
        frames: [],
        covered: !within,
      };
      series.set(id, s);
    }
    for (const frameId of i.frameIds) {
      const key = `${i.imageSetId}/${frameId}`;
      if (within?.has(key)) s.covered = true;
      const r = byKey.get(key);
      if (r && !placed.has(r.key)) s.frames.push(r);
      if (r) placed.add(r.key);
    }
  }
  for (const r of byKey.values()) {
    if (placed.has(r.key)) continue;
    const id = r.imageSetId;
    let s = series.get(id);
    if (!s) {
      s = {
        head: ['', '', '', '', r.imageSetId, `${r.datastoreId}/${r.imageSetId}`],
        frames: [],
        covered: true,
      };
      series.set(id, s);
    }
    s.frames.push(r);
  }
  for (const s of series.values())
    if (s.covered)
      rows.push(
        csvLine([
          ...s.head,
          s.frames.length,
          s.frames.reduce((n, f) => n + f.size, 0),
          s.frames.filter((f) => f.verified).length,
        ]),
      );
  return { name: 'metadata.csv', data: rows.join('') };
}

/** The manifests and metadata documents a job was planned from, as top-level files. */
export const sourceEntries = (sources: JobSource[]): ZipEntry[] =>
  sources.map((s) => ({ name: sourceFileName(s.name), data: s.content }));

export const ahiRetrieveFormat: ExportFormat = {
  id: 'ahi-retrieve',
  label: 'ahi-retrieve',
  entries,
};
