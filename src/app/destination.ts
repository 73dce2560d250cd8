/**
 * "Save to folder while downloading" (core/destination.ts): the folder picked before Start, what a
 * job's record keeps of it, the permission the browser asks for again after a reload or a
 * restart, and the words for what the job wrote there. Where the folder picker is missing
 * (Firefox, Safari), the option says so.
 */
import { retrievalFormat, type Destination, type DestinationSummary } from '../core/destination';
import { RetrieveError } from '../core/errors';
import type { Format } from '../core/protocol';
import { parseTemplate } from '../core/pathTemplate';
import { exportFormat } from '../io/exports';
import { appStore, updateDestination } from '../state/store';
import { chosenFormat } from './exports';

type FolderPicker = (options: {
  mode: 'readwrite';
  id?: string;
}) => Promise<FileSystemDirectoryHandle>;

interface PermissionHandle {
  queryPermission?(d: { mode: 'readwrite' }): Promise<PermissionState>;
  requestPermission?(d: { mode: 'readwrite' }): Promise<PermissionState>;
}

const picker = () =>
  (globalThis as unknown as { showDirectoryPicker?: FolderPicker }).showDirectoryPicker;

/** Why this browser cannot save to a folder while downloading; undefined when it can. */
export function folderUnsupported(): string | undefined {
  return picker()
    ? undefined
    : 'This browser cannot write to a folder on disk (it has no File System Access folder picker: Firefox and Safari lack it). Download into the browser and use Export zip.';
}

/** Picks the folder the next job writes to; false when the user cancelled the picker. */
export async function chooseDestination(): Promise<boolean> {
  const pick = picker();
  if (!pick) return false;
  try {
    const root = await pick({ mode: 'readwrite', id: 'ahi-web-retrieve-destination' });
    updateDestination({ root, message: undefined, phase: undefined });
    return true;
  } catch (e) {
    if ((e as Error).name !== 'AbortError')
      updateDestination({
        phase: 'failed',
        message: `The folder could not be opened: ${(e as Error).message}`,
      });
    return false;
  }
}

export function clearDestination(): void {
  updateDestination({ root: undefined, message: undefined, phase: undefined });
}

/**
 * The next job's destination and the format its workers keep, from the form; none without a
 * folder picked.
 * @throws RetrieveError BadInput (mem, or a wrong DICOM folder template)
 */
export function destinationForStart(format: Format): { destination?: Destination; format: Format } {
  const { destination, settings } = appStore.getState();
  if (!destination.root) return { format };
  const chosen = chosenFormat();
  const template = chosen.id.startsWith('dicom') ? settings.dicomTemplate : undefined;
  if (template !== undefined) parseTemplate(template);
  return {
    destination: {
      root: destination.root,
      format: chosen.id,
      ...(template !== undefined ? { template } : {}),
    },
    format: retrievalFormat(chosen.id, format),
  };
}

/**
 * Makes sure the page may write to a job's folder, asking the browser (which asks the user) when
 * it does not yet: after a reload or a restart it must. Call it from a click.
 * @throws RetrieveError WriteRefused when the permission is not given
 */
export async function allowWriting(root: FileSystemDirectoryHandle): Promise<void> {
  const h = root as unknown as PermissionHandle;
  const mode = { mode: 'readwrite' } as const;
  if ((await h.queryPermission?.(mode)) === 'granted') return;
  if ((await h.requestPermission?.(mode)) === 'granted') return;
  if (!h.queryPermission) return; // no permission model: writes will say
  throw new RetrieveError(
    'WriteRefused',
    `The browser did not allow writing to the folder "${root.name}": press Resume and allow it, or start the job again with another folder.`,
  );
}

/** What a job's folder holds at its end, in words. */
export function destinationMessage(s: DestinationSummary, format: string): string {
  let text = `Saved in the folder "${s.folder}": ${s.frames} frames as ${exportFormat(format).label}, with the index files.`;
  if (s.leftOut)
    text += ` ${s.leftOut} frames form no volume and are left out (metadata.csv says why).`;
  if (s.missing) text += ` ${s.missing} frames are not there yet: Retry failed fetches them.`;
  return text;
}
