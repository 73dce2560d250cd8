/**
 * Remembered settings: the allowlist REMEMBERED_SETTINGS (never secrets) in localStorage, written
 * when a job starts with settings that make sense and read back at start-up.
 */
import { appStore, REMEMBERED_SETTINGS, updateSettings } from './store';

const SETTINGS_KEY = 'ahi-web-retrieve:settings';

export function rememberSettings(): void {
  const s = appStore.getState().settings;
  const keep: Record<string, unknown> = {};
  for (const k of REMEMBERED_SETTINGS) keep[k] = s[k];
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(keep));
  } catch {
    // storage disabled: settings are simply not remembered
  }
}

export function restoreSettings(): void {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    if (!raw) return;
    const saved = JSON.parse(raw) as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const k of REMEMBERED_SETTINGS) if (k in saved) patch[k] = saved[k];
    updateSettings(patch);
  } catch {
    // a damaged entry is ignored
  }
}
