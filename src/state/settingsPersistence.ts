/**
 * Remembered settings: the allowlist REMEMBERED_SETTINGS (never secrets) in localStorage, written
 * when a job starts with settings that make sense and read back at start-up.
 */
import { defaultSearch, MAX_FILTERS, SEARCH_FIELDS, type SearchInput } from '../core/search';
import { appStore, REMEMBERED_SETTINGS, updateSearch, updateSettings } from './store';

const SETTINGS_KEY = 'ahi-web-retrieve:settings';
const SEARCH_KEY = 'ahi-web-retrieve:search';

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

/** The search form (datastore, filters, sort, page size: no secrets), saved when a search runs. */
export function rememberSearch(): void {
  try {
    localStorage.setItem(SEARCH_KEY, JSON.stringify(appStore.getState().search.input));
  } catch {
    // storage disabled
  }
}

export function restoreSearch(): void {
  try {
    const raw = localStorage.getItem(SEARCH_KEY);
    if (!raw) return;
    const saved = JSON.parse(raw) as Partial<SearchInput>;
    const base = defaultSearch();
    const input: SearchInput = {
      datastoreId: typeof saved.datastoreId === 'string' ? saved.datastoreId : base.datastoreId,
      filters: Array.isArray(saved.filters)
        ? saved.filters
            .filter((f) => f && f.field in SEARCH_FIELDS)
            .slice(0, MAX_FILTERS)
            .map((f) => ({
              field: f.field,
              operator: f.operator === 'BETWEEN' ? 'BETWEEN' : 'EQUAL',
              value: String(f.value ?? ''),
              upper: String(f.upper ?? ''),
            }))
        : base.filters,
      sortField: saved.sortField ?? base.sortField,
      sortOrder: saved.sortOrder === 'ASC' ? 'ASC' : 'DESC',
      pageSize: Number(saved.pageSize) || base.pageSize,
    };
    updateSearch({ input });
  } catch {
    // a damaged entry is ignored
  }
}
