/**
 * The search slice: the search form (remembered, never secrets), the datastores listed, the rows
 * found so far with the selection, a look at one image set's series, and the size of the source in
 * the job form (checked before Start).
 */
import type { ErrorInfo } from '../core/errors';
import type { ImageSetSize, SourceSize } from '../core/protocol';
import { defaultSearch, type ImageSetRow, type RowColumn, type SearchInput } from '../core/search';

export interface DatastoreRow {
  datastoreId: string;
  name: string;
  status: string;
  losslessStorageFormat?: string;
}

export interface SearchSlice {
  input: SearchInput;
  datastores: {
    phase: 'idle' | 'loading' | 'shown' | 'failed';
    list: DatastoreRow[];
    message?: string;
  };
  phase: 'idle' | 'searching' | 'done' | 'failed';
  rows: ImageSetRow[];
  /** pages read, and whether AHI has more */
  pages: number;
  more: boolean;
  /** the datastore the rows came from */
  datastoreId?: string;
  error?: ErrorInfo;
  /** a throttled page being retried: what AHI said and the wait */
  retrying?: string;
  selected: ReadonlySet<string>;
  /** the last row clicked without shift: a shift-click selects the range from it */
  anchor?: string;
  /** the table's order (rows are kept in AHI's order) */
  order?: { column: RowColumn; ascending: boolean };
  look?: {
    imageSetId: string;
    phase: 'loading' | 'shown' | 'failed';
    size?: ImageSetSize;
    message?: string;
  };
}

export const initialSearch = (): SearchSlice => ({
  input: defaultSearch(),
  datastores: { phase: 'idle', list: [] },
  phase: 'idle',
  rows: [],
  pages: 0,
  more: false,
  selected: new Set(),
});

/** The size of the job form's source, before Start. */
export interface SizeSlice {
  /** the source it was checked for (its JSON), to tell when it no longer applies */
  key?: string;
  phase: 'idle' | 'checking' | 'done' | 'failed';
  done: number;
  total: number;
  size?: SourceSize;
  /** the store's probe for the size's bytes (io/store/room.ts); undefined: unknown */
  room?: boolean;
  message?: string;
}

export const initialSize = (): SizeSlice => ({ phase: 'idle', done: 0, total: 0 });
