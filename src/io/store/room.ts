/**
 * Is there room for a job? `navigator.storage.estimate()` cannot say: Chromium reports a fixed
 * quota (usage + 10 GiB) whatever the site really gets, and ignores a quota set by policy or
 * DevTools. The store itself can: a probe file in OPFS is set to the job's size with a sync access
 * handle (a sparse length, nothing written), which the browser refuses with QuotaExceededError when
 * the site's quota would not hold it, and is deleted at once. Worker only (sync access handles).
 */
import type { SyncAccessHandle } from './frameFiles';

const PROBE = '.room-probe';

/** true: the store would hold `bytes` more now; false: its quota would not; undefined: unknown. */
export async function hasRoomFor(bytes: number): Promise<boolean | undefined> {
  if (bytes <= 0) return true;
  let root: FileSystemDirectoryHandle;
  try {
    root = await navigator.storage.getDirectory();
  } catch {
    return undefined;
  }
  let handle: SyncAccessHandle | undefined;
  try {
    const file = await root.getFileHandle(PROBE, { create: true });
    handle = await (
      file as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> }
    ).createSyncAccessHandle();
    handle.truncate(Math.ceil(bytes));
    return true;
  } catch (e) {
    return e instanceof DOMException && e.name === 'QuotaExceededError' ? false : undefined;
  } finally {
    try {
      handle?.truncate(0);
      handle?.close();
      await root.removeEntry(PROBE);
    } catch {
      // the probe is empty; the next probe reuses it
    }
  }
}
