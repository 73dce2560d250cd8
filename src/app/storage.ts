/** The storage line: what the site uses and may use, and whether the browser keeps it under pressure. */
import { setStorage } from '../state/store';

/** Storage used and available, and whether the browser keeps it under pressure. */
export async function refreshStorage(): Promise<void> {
  try {
    const [estimate, persisted] = await Promise.all([
      navigator.storage.estimate(),
      navigator.storage.persisted(),
    ]);
    setStorage({
      ...(estimate.usage !== undefined ? { usage: estimate.usage } : {}),
      ...(estimate.quota !== undefined ? { quota: estimate.quota } : {}),
      persisted,
    });
  } catch {
    setStorage({});
  }
}

/** Asks the browser not to evict stored frames under storage pressure. */
export async function persistStorage(): Promise<void> {
  try {
    await navigator.storage.persist();
  } finally {
    await refreshStorage();
  }
}
