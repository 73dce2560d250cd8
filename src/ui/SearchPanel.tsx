/**
 * Find image sets: pick a datastore (listed from the control plane, or typed), set up to two
 * filters with the operators AHI allows for each attribute, a sort and a page size, and search;
 * the results table follows (SearchResults).
 */
import { listDatastores, search, updateSearchInput } from '../app/search';
import { ERROR_ADVICE } from '../core/errors';
import {
  MAX_FILTERS,
  SEARCH_FIELDS,
  SORT_FIELDS,
  type FilterInput,
  type SearchField,
  type SortField,
} from '../core/search';
import { useApp } from '../state/store';
import { SearchResults } from './SearchResults';

function FilterRow({ filter, index }: { filter: FilterInput; index: number }) {
  const filters = useApp((s) => s.search.input.filters);
  const spec = SEARCH_FIELDS[filter.field];
  const set = (patch: Partial<FilterInput>) =>
    updateSearchInput({ filters: filters.map((f, i) => (i === index ? { ...f, ...patch } : f)) });
  const inputType = spec.kind === 'date' ? 'date' : 'text';
  const n = index + 1;
  return (
    <div className="row filter">
      <label>
        Filter {n}
        <select
          aria-label={`Filter ${n} attribute`}
          value={filter.field}
          onChange={(e) => {
            const field = e.target.value as SearchField;
            const operators = SEARCH_FIELDS[field].operators;
            set({
              field,
              operator: operators.includes(filter.operator) ? filter.operator : operators[0]!,
              value: SEARCH_FIELDS[field].kind === 'boolean' ? 'true' : '',
              upper: '',
            });
          }}
        >
          {(Object.keys(SEARCH_FIELDS) as SearchField[]).map((f) => (
            <option key={f} value={f}>
              {SEARCH_FIELDS[f].label}
            </option>
          ))}
        </select>
      </label>
      <label className="narrow">
        Operator
        <select
          aria-label={`Filter ${n} operator`}
          value={filter.operator}
          disabled={spec.operators.length === 1}
          onChange={(e) => set({ operator: e.target.value as FilterInput['operator'] })}
        >
          {spec.operators.map((o) => (
            <option key={o} value={o}>
              {o === 'EQUAL' ? 'equals' : 'between'}
            </option>
          ))}
        </select>
      </label>
      {spec.kind === 'boolean' ? (
        <label>
          Value
          <select
            aria-label={`Filter ${n} value`}
            value={filter.value || 'true'}
            onChange={(e) => set({ value: e.target.value })}
          >
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        </label>
      ) : (
        <label>
          {filter.operator === 'BETWEEN' ? 'From' : 'Value'}
          <input
            aria-label={`Filter ${n} ${filter.operator === 'BETWEEN' ? 'from' : 'value'}`}
            type={inputType}
            value={filter.value}
            spellCheck={false}
            onChange={(e) => set({ value: e.target.value })}
          />
        </label>
      )}
      {filter.operator === 'BETWEEN' && (
        <label>
          To
          <input
            aria-label={`Filter ${n} to`}
            type={inputType}
            value={filter.upper}
            onChange={(e) => set({ upper: e.target.value })}
          />
        </label>
      )}
      <button
        type="button"
        className="link remove"
        aria-label={`Remove filter ${n}`}
        onClick={() => updateSearchInput({ filters: filters.filter((_, i) => i !== index) })}
      >
        remove
      </button>
    </div>
  );
}

function Datastores() {
  const datastores = useApp((s) => s.search.datastores);
  const datastoreId = useApp((s) => s.search.input.datastoreId);
  return (
    <div className="datastores">
      <div className="row">
        <label className="wide">
          Datastore to search
          <input
            value={datastoreId}
            spellCheck={false}
            placeholder="32 letters or digits, or list them"
            onChange={(e) => updateSearchInput({ datastoreId: e.target.value.trim() })}
          />
        </label>
        <button
          type="button"
          className="secondary"
          disabled={datastores.phase === 'loading'}
          onClick={() => void listDatastores()}
        >
          {datastores.phase === 'loading' ? 'Listing…' : 'List datastores'}
        </button>
      </div>
      {datastores.message && (
        <p className={`hint ${datastores.phase === 'failed' ? 'failed' : ''}`} aria-live="polite">
          {datastores.message}
        </p>
      )}
      {datastores.list.length > 0 && (
        <table className="datastore-list" aria-label="Datastores">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Status</th>
              <th>Lossless storage</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {datastores.list.map((d) => (
              <tr key={d.datastoreId} className={d.datastoreId === datastoreId ? 'chosen' : ''}>
                <td>{d.name}</td>
                <td className="mono">{d.datastoreId}</td>
                <td>{d.status}</td>
                <td>{d.losslessStorageFormat ?? '—'}</td>
                <td>
                  <button
                    type="button"
                    className="link"
                    disabled={d.status !== 'ACTIVE'}
                    aria-label={`Use datastore ${d.name}`}
                    onClick={() => updateSearchInput({ datastoreId: d.datastoreId })}
                  >
                    {d.datastoreId === datastoreId ? 'chosen' : 'use'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function SearchPanel() {
  const input = useApp((s) => s.search.input);
  const phase = useApp((s) => s.search.phase);
  const error = useApp((s) => s.search.error);
  const retrying = useApp((s) => s.search.retrying);
  return (
    <details className="panel search" open>
      <summary>Find image sets in a datastore</summary>
      <Datastores />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        {input.filters.map((f, i) => (
          <FilterRow key={i} filter={f} index={i} />
        ))}
        <div className="row">
          <button
            type="button"
            className="secondary"
            disabled={input.filters.length >= MAX_FILTERS}
            title={input.filters.length >= MAX_FILTERS ? 'AHI searches with at most 2 filters' : ''}
            onClick={() =>
              updateSearchInput({
                filters: [
                  ...input.filters,
                  { field: 'DICOMPatientId', operator: 'EQUAL', value: '', upper: '' },
                ],
              })
            }
          >
            Add filter
          </button>
          <label>
            Sort by
            <select
              value={input.sortField}
              onChange={(e) => updateSearchInput({ sortField: e.target.value as SortField })}
            >
              {(Object.keys(SORT_FIELDS) as SortField[]).map((f) => (
                <option key={f} value={f}>
                  {SORT_FIELDS[f]}
                </option>
              ))}
            </select>
          </label>
          <label className="narrow">
            Order
            <select
              value={input.sortOrder}
              onChange={(e) => updateSearchInput({ sortOrder: e.target.value as 'ASC' | 'DESC' })}
            >
              <option value="DESC">newest first</option>
              <option value="ASC">oldest first</option>
            </select>
          </label>
          <label className="narrow">
            Page size
            <input
              type="number"
              min={1}
              max={50}
              value={input.pageSize}
              onChange={(e) =>
                updateSearchInput({
                  pageSize: Math.max(1, Math.min(50, Math.floor(Number(e.target.value)) || 50)),
                })
              }
            />
          </label>
          <button type="submit" disabled={phase === 'searching'}>
            Search image sets
          </button>
        </div>
      </form>
      {retrying && <p className="hint">{retrying}</p>}
      {error && (
        <p className="status failed" role="alert">
          {error.message}
          {error.code !== 'BadInput' && <span className="advice"> {ERROR_ADVICE[error.code]}</span>}
        </p>
      )}
      <SearchResults />
    </details>
  );
}
