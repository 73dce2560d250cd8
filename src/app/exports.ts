/**
 * Export commands: pick where a stored job's bundle goes (a zip file, a download, a folder), run it
 * in the library worker with its progress in the export slice, and say in words what it wrote or
 * why it stopped. One export runs at a time; Stop export cancels it.
 */
import { parseTemplate } from '../core/pathTemplate';
import { bundleBaseName } from '../core/bundleName';
import { ERROR_ADVICE, toErrorInfo } from '../core/errors';
import { formatBytes } from '../core/format';
import type { BundleSummary, ExportTarget } from '../core/protocol';
import { exportJob } from '../pool/libraryWorker';
import { appStore, updateExport } from '../state/store';

/** The export format's ID (io/exports) for the form's choice, and what its bundles are called. */
export function chosenFormat(): { id: string; suffix: string; label: string } {
  const { exportFormat, dicomSyntax, niftiCompression } = appStore.getState().settings;
  if (exportFormat === 'dicom')
    return dicomSyntax === 'explicit'
      ? {
          id: 'dicom-explicit',
          suffix: '-dicom-explicit',
          label: 'DICOM (Explicit VR Little Endian)',
        }
      : { id: 'dicom', suffix: '-dicom', label: 'DICOM (as stored)' };
  if (exportFormat === 'nifti')
    return niftiCompression === 'none'
      ? { id: 'nifti-nii', suffix: '-nifti', label: 'NIfTI (.nii)' }
      : { id: 'nifti', suffix: '-nifti', label: 'NIfTI (.nii.gz)' };
  return { id: 'ahi-retrieve', suffix: '', label: "ahi-retrieve's layout" };
}

let running: AbortController | undefined;

/** What an export wrote, where, how fast, and whether the bundle is partial. */
function exportMessage(s: BundleSummary, where: string): string {
  const mb = s.bytes / 1e6;
  const secs = s.ms / 1000;
  let text = `Exported ${s.frames} frames (${formatBytes(s.bytes)}) ${where} in ${secs.toFixed(1)} s (${(mb / Math.max(secs, 1e-3)).toFixed(0)} MB/s).`;
  if (s.leftOut)
    text += ` ${s.leftOut} frames form no volume and are left out (metadata.csv says why).`;
  if (s.partial)
    text += ` The job is ${s.state === 'done' ? 'done with frames missing' : s.state}: the bundle holds the ${s.frames} of ${s.totalFrames} frames stored so far.`;
  return text;
}

/** An export's failure in words: what happened, and for codes a person acts on, what to do. */
function failureMessage(e: unknown): string {
  const info = toErrorInfo(e);
  if (info.code === 'Cancelled') return 'Export stopped: the files written so far are incomplete.';
  const advice = info.code === 'WriteRefused' ? ` ${ERROR_ADVICE.WriteRefused}` : '';
  return `Export failed: ${info.message}${advice}`;
}

/** Runs one export with its progress, outcome and message in the export slice. */
async function runExport(
  jobId: string,
  target: ExportTarget,
  where: (summary: BundleSummary, blob?: Blob) => string,
): Promise<void> {
  const abort = new AbortController();
  running = abort;
  updateExport({
    jobId,
    kind: target.kind,
    phase: 'running',
    frames: 0,
    bytes: 0,
    message: undefined,
  });
  try {
    const { summary, blob } = await exportJob(
      {
        exportId: crypto.randomUUID(),
        jobId,
        format: chosenFormat().id,
        target,
        ...(appStore.getState().settings.exportFormat === 'dicom'
          ? { template: appStore.getState().settings.dicomTemplate }
          : {}),
      },
      (frames, bytes) => updateExport({ frames, bytes }),
      abort.signal,
    );
    updateExport({
      phase: 'done',
      frames: summary.frames,
      bytes: summary.bytes,
      message: exportMessage(summary, where(summary, blob)),
    });
  } catch (e) {
    updateExport({ phase: 'failed', message: failureMessage(e) });
  } finally {
    if (running === abort) running = undefined;
  }
}

/** Stops the export under way, if any. */
export function cancelExport(): void {
  running?.abort();
}

type SavePicker = (options: {
  suggestedName: string;
  types: { description: string; accept: Record<string, string[]> }[];
}) => Promise<FileSystemFileHandle>;
type FolderPicker = (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;

/** Starts a download of a Blob under a file name. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Exports a stored job as a zip: streamed to a file the user picks where the browser can
 * (File System Access), else built as a download. Works for unfinished jobs (what is stored).
 */
/** The DICOM folder template checked before any picker opens; false (and said) when it is wrong. */
export function templateOk(jobId: string, kind: 'zip' | 'folder'): boolean {
  const { exportFormat, dicomTemplate } = appStore.getState().settings;
  if (exportFormat !== 'dicom') return true;
  try {
    parseTemplate(dicomTemplate);
    return true;
  } catch (e) {
    updateExport({ jobId, kind, phase: 'failed', message: toErrorInfo(e).message });
    return false;
  }
}

export async function exportJobZip(jobId: string): Promise<void> {
  if (!templateOk(jobId, 'zip')) return;
  const job = appStore.getState().jobs.find((j) => j.id === jobId);
  const picker = (window as unknown as { showSaveFilePicker?: SavePicker }).showSaveFilePicker;
  let file: FileSystemFileHandle | undefined;
  if (picker) {
    try {
      file = await picker({
        suggestedName: `${bundleBaseName(job?.name ?? '')}${chosenFormat().suffix}.zip`,
        types: [{ description: 'Zip bundle', accept: { 'application/zip': ['.zip'] } }],
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      file = undefined; // the picker is unavailable here (policy, headless): download instead
    }
  }
  await runExport(jobId, file ? { kind: 'zip', file } : { kind: 'zip' }, (summary, blob) => {
    if (!blob) return `to ${file?.name ?? 'the file'}`;
    download(blob, `${summary.name}${chosenFormat().suffix}.zip`);
    return 'as a download';
  });
}

/** Exports a stored job into a folder the user picks, in the same layout as the zip. */
export async function exportJobFolder(jobId: string): Promise<void> {
  if (!templateOk(jobId, 'folder')) return;
  const picker = (window as unknown as { showDirectoryPicker?: FolderPicker }).showDirectoryPicker;
  if (!picker) {
    updateExport({
      jobId,
      kind: 'folder',
      phase: 'failed',
      message: 'This browser cannot write to folders (File System Access API): use Export zip.',
    });
    return;
  }
  let root: FileSystemDirectoryHandle;
  try {
    root = await picker({ mode: 'readwrite' });
  } catch (e) {
    if ((e as Error).name !== 'AbortError')
      updateExport({ jobId, kind: 'folder', phase: 'failed', message: failureMessage(e) });
    return;
  }
  await runExport(jobId, { kind: 'folder', root }, () => `to the folder ${root.name}`);
}
