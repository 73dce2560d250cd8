/**
 * A destination folder's files assembled from their frames' parts (core/destination.ts): a DICOM
 * instance's file once its frames are all in, a NIfTI volume (streamed from its slices' parts
 * through gzip, never whole in memory) once its series is; then each frame's record names the
 * file, and the parts go. At the end of the job, the format's index files are written (the same
 * bytes an export of the same frames writes) and the working folder is removed once nothing waits
 * in it. A write that fails (disk full, permission withdrawn) stops assembling with its error,
 * reported to the job, which pauses; the parts stay, so nothing written is lost.
 */
import { crc32, crc32Hasher, loadCrc32 } from '../../core/crc32';
import {
  assembles,
  isPart,
  WORK_DIR,
  type Destination,
  type DestinationSummary,
} from '../../core/destination';
import { RetrieveError } from '../../core/errors';
import type { JobSource } from '../../core/job';
import type { StoredFrame } from '../../core/sink';
import {
  CHECKSUM_HEADER,
  CHECKSUMS_FILE,
  checksumLine,
  seriesIndex,
  sourceEntries,
} from '../exports/ahiRetrieve';
import { DicomIndex, dicomFile, dicomUnits, frameLayouts } from '../exports/dicom';
import { NiftiIndex, niftiFile, niftiUnits } from '../exports/nifti';
import { Folder, type Files } from '../folder';
import { folderError } from '../sinks/folder';
import { getJob, getJobSources } from '../store';
import type { ZipEntry } from '../zip';
import { storeRecords, type DestinationRecords } from './records';

/** What an assembler needs: the format and layout, the job's documents, its folder and records. */
export interface AssemblerSetup {
  jobId: string;
  destination: Pick<Destination, 'format' | 'template'>;
  sources: JobSource[];
  files: Files;
  records: DestinationRecords;
  /** the index files' names (a runner shard's carry its number); as the export names them, else */
  indexName?: (name: string) => string;
  /** the working folder holds more than parts (the runner's journal): only its parts go */
  keepWorkDir?: boolean;
  /** the frames this folder is to hold, when not the whole job's (a runner shard's part): the
   * index lists only the series and files with frames among them */
  within?: ReadonlySet<string>;
}

/** Files assembled at a time (a DICOM file is a few ms of dcmjs; the rest is waiting on disk). */
const ASSEMBLING = 4;

interface Part {
  record: StoredFrame;
  file: Blob;
}

/** A file made of several frames' parts: where it goes, its frames, and how it is written. */
interface Unit {
  path: string;
  keys: string[];
  /** writes the file; returns the frames' records as they now are */
  assemble(parts: Part[]): Promise<StoredFrame[]>;
}

const asError = (e: unknown): Error =>
  e instanceof Error ? e : new Error('A file could not be written', { cause: e });

/** A file streamed to disk, with its size and CRC-32 counted on the way. */
async function writeCounted(
  folder: Files,
  path: string,
  data: ReadableStream<Uint8Array>,
): Promise<{ size: number; crc: number }> {
  const h = await crc32Hasher();
  let size = 0;
  const counted = data.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        h.update(chunk);
        size += chunk.length;
        out.enqueue(chunk);
      },
    }),
  );
  await folder.write(path, counted);
  return { size, crc: h.value() };
}

export class Assembler {
  private readonly unitOf = new Map<string, number>();
  /** per unit: its frames whose part is written (and intact) */
  private readonly inParts: Set<string>[];
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private running = 0;
  private idle: (() => void)[] = [];
  /** the failure that stopped assembling, reported to the job */
  error: Error | undefined;

  readonly jobId: string;
  private readonly destination: AssemblerSetup['destination'];
  private readonly sources: JobSource[];
  private readonly folder: Files;
  private readonly records: DestinationRecords;
  private readonly units: Unit[];
  private readonly indexName: AssemblerSetup['indexName'];
  private readonly keepWorkDir: boolean;
  private readonly within: ReadonlySet<string> | undefined;

  private constructor(setup: AssemblerSetup) {
    this.indexName = setup.indexName;
    this.within = setup.within;
    this.keepWorkDir = setup.keepWorkDir === true;
    this.jobId = setup.jobId;
    this.destination = setup.destination;
    this.sources = setup.sources;
    this.folder = setup.files;
    this.records = setup.records;
    this.units = assembles(setup.destination.format) ? unitsOf(setup) : [];
    this.units.forEach((u, i) => u.keys.forEach((k) => this.unitOf.set(k, i)));
    this.inParts = this.units.map(() => new Set());
  }

  /** An app job's assembler: its folder, documents and records from the browser's store. */
  static async open(jobId: string): Promise<Assembler> {
    const [record, sources] = await Promise.all([getJob(jobId), getJobSources(jobId)]);
    const destination = record?.destination;
    if (!record || !destination || !sources)
      throw new RetrieveError('NotFound', `Job ${jobId} has no destination folder.`);
    return Assembler.over({
      jobId,
      destination,
      sources,
      files: new Folder(destination.root),
      records: storeRecords(jobId),
    });
  }

  /** An assembler over any folder and records (the command-line runner's). */
  static async over(setup: AssemblerSetup): Promise<Assembler> {
    await loadCrc32();
    return new Assembler(setup);
  }

  /** Frames whose part is written and intact (a resume's scan, or new ones from the workers). */
  partsIn(keys: Iterable<string>): void {
    for (const key of keys) {
      const u = this.unitOf.get(key);
      if (u === undefined) continue;
      const parts = this.inParts[u]!;
      parts.add(key);
      if (parts.size === this.units[u]!.keys.length && !this.queued.has(u)) {
        this.queued.add(u);
        this.queue.push(u);
      }
    }
    this.pump();
  }

  /** After a failure (space freed, permission given again): assembles what waits. */
  retry(): void {
    this.error = undefined;
    this.inParts.forEach((parts, u) => {
      if (parts.size === this.units[u]!.keys.length && !this.queued.has(u)) {
        this.queued.add(u);
        this.queue.push(u);
      }
    });
    this.pump();
  }

  /** A resume: the intact frames whose record still names a part. */
  resumeFrom(intact: Set<string>, records: Map<string, StoredFrame>): void {
    this.partsIn([...intact].filter((k) => isPart(records.get(k)?.file ?? '')));
  }

  private pump(): void {
    while (this.running < ASSEMBLING && this.queue.length > 0 && this.error === undefined) {
      const u = this.queue.shift()!;
      this.running++;
      void this.assemble(u)
        .catch((e: unknown) => {
          this.error ??= asError(folderError(e, this.folder.name));
        })
        .finally(() => {
          this.queued.delete(u);
          this.running--;
          this.pump();
          if (this.running === 0 && (this.queue.length === 0 || this.error !== undefined)) {
            for (const r of this.idle.splice(0)) r();
          }
        });
    }
  }

  private async assemble(u: number): Promise<void> {
    const unit = this.units[u]!;
    const records = await this.records.get(unit.keys);
    const parts: Part[] = [];
    for (const record of records) {
      if (!record?.file || !isPart(record.file)) return; // fetched again meanwhile, or gone
      const file = await this.folder.read(record.file);
      if (!file) return;
      parts.push({ record, file });
    }
    const updated = await unit.assemble(parts);
    await this.records.put(updated);
    this.inParts[u]!.clear();
    await Promise.all(parts.map((p) => this.folder.remove(p.record.file!)));
  }

  /** Waits until nothing is being assembled. */
  private drained(): Promise<void> {
    if (this.running === 0 && (this.queue.length === 0 || this.error !== undefined))
      return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /**
   * The job ended: waits for assembling, writes the format's index files, removes the working
   * folder when nothing waits in it, and says what the folder holds.
   * @throws what stopped assembling or writing (QuotaExceeded, WriteRefused)
   */
  async finish(total: number): Promise<DestinationSummary> {
    if (this.error !== undefined) this.retry();
    await this.drained();
    if (this.error !== undefined) throw this.error;
    const records = new Map<string, StoredFrame>();
    for await (const batch of this.records.batches(1000))
      for (const r of batch) records.set(r.key, r);
    try {
      const rename = this.indexName ?? ((name: string) => name);
      for (const entry of this.index(records))
        await this.folder.write(rename(entry.name), entry.data);
      const waiting = [...records.values()].some((r) => r.file && isPart(r.file));
      if (!waiting) await this.folder.remove(this.keepWorkDir ? `${WORK_DIR}/parts` : WORK_DIR);
    } catch (e) {
      throw folderError(e, this.folder.name);
    }
    const placed = [...records.values()].filter((r) => r.file && !isPart(r.file)).length;
    const leftOut = [...records.values()].filter((r) => r.leftOut).length;
    return {
      folder: this.folder.name,
      frames: placed,
      leftOut,
      missing: total - placed - leftOut,
    };
  }

  /** Whether a file of these frames is this folder's to list (all are, but for a shard's). */
  private covers(keys: readonly string[]): boolean {
    const within = this.within;
    return !within || keys.some((k) => within.has(k));
  }

  /** The index files, from the frames' records (the same bytes an export writes). */
  private index(records: Map<string, StoredFrame>): ZipEntry[] {
    const { format } = this.destination;
    if (!assembles(format)) {
      // In key order, as an export reads them.
      const lines = [...records.values()].map(checksumLine);
      return [
        ...sourceEntries(this.sources),
        seriesIndex(this.sources, records.values(), this.within),
        { name: CHECKSUMS_FILE, data: [CHECKSUM_HEADER, ...lines].join('') },
      ];
    }
    if (format.startsWith('nifti')) {
      const index = new NiftiIndex();
      for (const unit of niftiUnits(this.sources, format === 'nifti')) {
        if (!this.covers(unit.keys)) continue;
        const frames = unit.keys.map((k) => records.get(k));
        if (unit.unwritable) index.add(unit, { skipped: unit.unwritable });
        else if (frames.some((f) => !f || isPart(f.file ?? '')))
          index.add(unit, { skipped: 'frames not downloaded' });
        else if (frames[0]!.leftOut) index.add(unit, { skipped: frames[0]!.leftOut });
        else
          index.add(unit, {
            frames: frames.length,
            bytes: frames[0]!.fileSize ?? 0,
            verified: frames.filter((f) => f!.verified).length,
          });
      }
      return index.entries();
    }
    const index = new DicomIndex(format === 'dicom-explicit');
    for (const unit of dicomUnits(this.sources, this.destination.template)) {
      if (!this.covers(unit.keys)) continue;
      const frames = unit.keys.map((k) => records.get(k));
      if (frames.some((f) => f?.file !== unit.path)) index.add(unit);
      else index.add(unit, { frames: frames as StoredFrame[], bytes: frames[0]!.fileSize ?? 0 });
    }
    return index.entries();
  }
}

/** The files a destination's format assembles, each with how it is written. */
function unitsOf({ destination, sources, files: folder, jobId }: AssemblerSetup): Unit[] {
  const { format } = destination;
  if (format.startsWith('nifti')) {
    const compress = format === 'nifti';
    return niftiUnits(sources, compress).map((unit) => ({
      path: unit.path,
      keys: unit.keys,
      async assemble(parts) {
        const leftOut = (reason: string) =>
          parts.map(({ record }) => {
            const r: StoredFrame = { ...record, leftOut: reason };
            delete r.file;
            delete r.offset;
            delete r.fileSize;
            delete r.fileCrc;
            return r;
          });
        if (unit.unwritable) return leftOut(unit.unwritable);
        const file = niftiFile(
          unit,
          parts.map((p) => ({ length: p.file.size, part: p.file })),
          compress,
        );
        if (!file.ok) return leftOut(file.reason);
        const { size, crc } = await writeCounted(folder, unit.path, file.data);
        await folder.write(file.sidecar.name, file.sidecar.data);
        // Where each slice is: at an offset of the .nii; in a gzip member of the .nii.gz.
        const { frameAt, members } = file.layout;
        return parts.map(({ record }, k) => {
          const r: StoredFrame = {
            ...record,
            file: unit.path,
            offset: frameAt[k]!,
            fileSize: size,
            fileCrc: crc,
          };
          delete r.packed;
          if (!members) return r;
          const m = members.findLastIndex((member) => member.from <= frameAt[k]!);
          const end = members[m + 1]?.at ?? size;
          return {
            ...r,
            offset: members[m]!.at,
            gzipLength: end - members[m]!.at,
            inflatedOffset: frameAt[k]! - members[m]!.from,
          };
        });
      },
    }));
  }
  const explicit = format === 'dicom-explicit';
  return dicomUnits(sources, destination.template).map((unit) => ({
    path: unit.path,
    keys: unit.keys,
    async assemble(parts) {
      const frames = await Promise.all(
        parts.map(async (p) => ({ ...p.record, jobId, data: await p.file.arrayBuffer() })),
      );
      const bytes = await dicomFile(unit, frames, explicit);
      await folder.write(unit.path, bytes);
      const fileCrc = crc32(bytes);
      // Where each frame's bytes are in the file, checked by their CRC-32 (the viewer reads them).
      const offsets = frameLayouts(
        bytes.length,
        frames.map((f) => f.size),
      ).find((layout) =>
        layout.every(
          (at, i) =>
            at >= 0 && crc32(bytes.subarray(at, at + frames[i]!.size)) === parts[i]!.record.fileCrc,
        ),
      );
      return parts.map(({ record }, i) => {
        const r: StoredFrame = {
          ...record,
          file: unit.path,
          offset: offsets?.[i] ?? 0,
          fileSize: bytes.length,
          fileCrc,
        };
        if (offsets) delete r.packed;
        else r.packed = true;
        return r;
      });
    },
  }));
}
