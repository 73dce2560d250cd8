/**
 * Search commands: list the datastores, search a datastore page by page (or every page), sort and
 * select the rows (shift-click for ranges), look at one image set's series, put the selection into
 * the job form, and save it as ahi-retrieve manifests. Errors land in the search slice in words.
 */
import { toErrorInfo } from '../core/errors';
import type { SurveyOutcome } from '../core/protocol';
import { isoDate, type RowColumn, type SearchInput } from '../core/search';
import { listDatastores as listFromControlPlane } from '../io/controlPlane';
import { ImageSetSearch } from '../io/search';
import { inOwnPlanWorker } from '../pool/planWorker';
import { rememberSearch } from '../state/settingsPersistence';
import { appStore, updateSearch, updateSettings } from '../state/store';
import { connection, pageClient } from './form';
import { checkSize } from './size';

/** the search whose pages "Load more" reads */
let current: ImageSetSearch | undefined;
/** ends the page loop of a search that was replaced */
let stop: AbortController | undefined;

export function updateSearchInput(patch: Partial<SearchInput>): void {
  updateSearch({ input: { ...appStore.getState().search.input, ...patch } });
}

/** ListDatastores (and GetDatastore for each) on the control plane. */
export async function listDatastores(): Promise<void> {
  updateSearch({
    datastores: { phase: 'loading', list: appStore.getState().search.datastores.list },
  });
  try {
    const list = await listFromControlPlane(await pageClient());
    updateSearch({
      datastores: {
        phase: 'shown',
        list: list.map((d) => ({
          datastoreId: d.datastoreId,
          name: d.name,
          status: d.status,
          ...(d.losslessStorageFormat ? { losslessStorageFormat: d.losslessStorageFormat } : {}),
        })),
        ...(list.length === 0 ? { message: 'This account has no datastores in this region.' } : {}),
      },
    });
  } catch (e) {
    updateSearch({ datastores: { phase: 'failed', list: [], message: toErrorInfo(e).message } });
  }
}

const retried = (message: string, delayMs: number) =>
  updateSearch({ retrying: `${message}: trying again in ${(delayMs / 1000).toFixed(1)} s` });

async function readPages(search: ImageSetSearch, all: boolean, signal: AbortSignal): Promise<void> {
  updateSearch({ phase: 'searching' });
  try {
    do {
      const rows = await search.next(signal);
      if (signal.aborted) return;
      const s = appStore.getState().search;
      updateSearch({ rows: [...s.rows, ...rows], pages: search.pagesRead, more: !search.done });
    } while (all && !search.done && !signal.aborted);
    updateSearch({ phase: 'done', retrying: undefined });
  } catch (e) {
    if (signal.aborted) return;
    updateSearch({ phase: 'failed', error: toErrorInfo(e), retrying: undefined });
  }
}

/** A new search from the form: its first page (or every page, with `all`). */
export async function search(all = false): Promise<void> {
  stop?.abort();
  stop = new AbortController();
  const signal = stop.signal;
  const input = appStore.getState().search.input;
  updateSearch({
    phase: 'searching',
    rows: [],
    pages: 0,
    more: false,
    selected: new Set(),
    error: undefined,
    retrying: undefined,
    anchor: undefined,
    look: undefined,
    order: undefined,
  });
  try {
    const client = await pageClient();
    current = new ImageSetSearch(client, input, retried);
    updateSearch({ datastoreId: current.datastoreId });
    rememberSearch();
  } catch (e) {
    current = undefined;
    updateSearch({ phase: 'failed', error: toErrorInfo(e) });
    return;
  }
  await readPages(current, all, signal);
}

/** The next page of the current search, or every page left. */
export async function loadMore(all = false): Promise<void> {
  if (!current || current.done || appStore.getState().search.phase === 'searching') return;
  stop = new AbortController();
  await readPages(current, all, stop.signal);
}

export function sortBy(column: RowColumn): void {
  const order = appStore.getState().search.order;
  updateSearch({
    order: { column, ascending: order?.column === column ? !order.ascending : true },
  });
}

/**
 * A row's checkbox: toggles it; with shift, sets every row from the last one clicked to this one
 * (in the order shown) to this row's new state.
 */
export function toggleRow(imageSetId: string, shift: boolean, shown: readonly string[]): void {
  const s = appStore.getState().search;
  const selected = new Set(s.selected);
  const on = !selected.has(imageSetId);
  const from = s.anchor === undefined ? -1 : shown.indexOf(s.anchor);
  const to = shown.indexOf(imageSetId);
  if (shift && from >= 0 && to >= 0) {
    const [lo, hi] = from < to ? [from, to] : [to, from];
    for (const id of shown.slice(lo, hi + 1)) {
      if (on) selected.add(id);
      else selected.delete(id);
    }
  } else if (on) selected.add(imageSetId);
  else selected.delete(imageSetId);
  updateSearch({ selected, anchor: imageSetId });
}

export function selectAll(): void {
  updateSearch({ selected: new Set(appStore.getState().search.rows.map((r) => r.imageSetId)) });
}

export function selectNone(): void {
  updateSearch({ selected: new Set(), anchor: undefined });
}

/** An image set's series, frames and size, from its metadata, before downloading it. */
export async function lookAt(imageSetId: string): Promise<void> {
  const s = appStore.getState().search;
  const datastoreId = s.datastoreId;
  if (!datastoreId) return;
  if (s.look?.imageSetId === imageSetId && s.look.phase !== 'failed') {
    updateSearch({ look: undefined });
    return;
  }
  updateSearch({ look: { imageSetId, phase: 'loading' } });
  try {
    const c = await connection();
    const outcome = await inOwnPlanWorker<SurveyOutcome>((api) =>
      api.survey({
        source: {
          kind: 'imageSet',
          datastoreId,
          imageSetId,
          version: '',
        },
        settings: { endpoint: c.endpoint, region: c.region },
        credentials: c.credentials.credentials,
      }),
    );
    if (appStore.getState().search.look?.imageSetId !== imageSetId) return;
    if (!outcome.ok) throw new Error(outcome.error.message);
    updateSearch({ look: { imageSetId, phase: 'shown', size: outcome.size.imageSets[0]! } });
  } catch (e) {
    updateSearch({ look: { imageSetId, phase: 'failed', message: toErrorInfo(e).message } });
  }
}

/** Puts the selected image sets (in the order shown) into the job form, and checks their size. */
export function downloadSelected(shown: readonly string[]): Promise<void> {
  const s = appStore.getState().search;
  if (!s.datastoreId || s.selected.size === 0) return Promise.resolve();
  const rows = new Map(s.rows.map((r) => [r.imageSetId, r]));
  const ids = shown.filter((id) => s.selected.has(id));
  updateSettings({
    source: 'cohort',
    cohort: {
      datastoreId: s.datastoreId,
      // The latest version of each (GetImageSetMetadata's default), as the search listed them.
      imageSets: ids.map((id) => {
        const r = rows.get(id)!;
        return {
          imageSetId: id,
          label: [r.patientId, isoDate(r.studyDate), r.description].filter(Boolean).join(' · '),
        };
      }),
    },
  });
  return checkSize();
}

/**
 * Every image set of a datastore into the job form, size checked (the `?cohort=` URL of benchmarks
 * and scripts); false, with the error in the search slice, when the search failed.
 */
export async function selectWholeDatastore(datastoreId: string): Promise<boolean> {
  updateSearchInput({ datastoreId, filters: [], pageSize: 50 });
  await search(true);
  if (appStore.getState().search.phase !== 'done') return false;
  performance.mark('ahi:cohort-found');
  selectAll();
  await downloadSelected(appStore.getState().search.rows.map((r) => r.imageSetId));
  return true;
}
