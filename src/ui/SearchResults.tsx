/**
 * The image sets found: a table to scan and sort (click a header), a checkbox per row labelled
 * with its image set ID (shift-click selects a range), select all or none, a look at a row's
 * series before downloading, more pages, and the selection into the job form.
 */
import { useMemo, useState } from 'react';
import { saveManifest } from '../app/manifests';
import {
  downloadSelected,
  loadMore,
  lookAt,
  selectAll,
  selectNone,
  sortBy,
  toggleRow,
} from '../app/search';
import { formatBytes } from '../core/format';
import { isoDate, sortRows, type ImageSetRow, type RowColumn } from '../core/search';
import { useApp } from '../state/store';

const COLUMNS: { column: RowColumn; label: string }[] = [
  { column: 'patientId', label: 'Patient ID' },
  { column: 'patientName', label: 'Patient name' },
  { column: 'studyDate', label: 'Study date' },
  { column: 'description', label: 'Description' },
  { column: 'accession', label: 'Accession' },
  { column: 'modality', label: 'Modality' },
  { column: 'bodyPart', label: 'Body part' },
  { column: 'series', label: 'Series' },
  { column: 'instances', label: 'Instances' },
  { column: 'storageTier', label: 'Storage tier' },
  { column: 'updatedAt', label: 'Updated' },
  { column: 'isPrimary', label: 'Primary' },
];

const tier = (t: string) =>
  t === 'ARCHIVE_INSTANT_ACCESS' ? 'archive instant' : t === 'FREQUENT_ACCESS' ? 'frequent' : t;

function cell(r: ImageSetRow, column: RowColumn): string {
  switch (column) {
    case 'studyDate':
      return isoDate(r.studyDate);
    case 'updatedAt':
      return r.updatedAt ? new Date(r.updatedAt).toISOString().slice(0, 16).replace('T', ' ') : '';
    case 'isPrimary':
      return r.isPrimary ? 'yes' : 'no';
    case 'storageTier':
      return tier(r.storageTier);
    case 'patientName':
      return r.patientName.replace(/\^/g, ' ');
    default:
      return String(r[column]);
  }
}

function Look({ imageSetId }: { imageSetId: string }) {
  const look = useApp((s) => s.search.look);
  if (look?.imageSetId !== imageSetId) return null;
  return (
    <tr className="look">
      <td colSpan={COLUMNS.length + 2}>
        {look.phase === 'loading' && 'Reading the image set’s metadata…'}
        {look.phase === 'failed' && <span className="failed">{look.message}</span>}
        {look.size && (
          <table aria-label={`Series of ${imageSetId}`}>
            <thead>
              <tr>
                <th>Series</th>
                <th>Frames</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {look.size.series.map((s) => (
                <tr key={s.seriesUid}>
                  <td>{s.label || s.seriesUid}</td>
                  <td>{s.frames}</td>
                  <td>{formatBytes(s.bytes)}</td>
                </tr>
              ))}
              <tr className="total">
                <td>All {look.size.series.length} series</td>
                <td>{look.size.frames}</td>
                <td>{formatBytes(look.size.bytes)}</td>
              </tr>
            </tbody>
          </table>
        )}
      </td>
    </tr>
  );
}

function SaveManifest() {
  const [parts, setParts] = useState(1);
  const cohort = useApp((s) => s.settings.source === 'cohort');
  return (
    <span className="save-manifest">
      <label className="inline">
        Parts
        <input
          type="number"
          min={1}
          max={1000}
          value={parts}
          aria-label="Manifest parts"
          onChange={(e) =>
            setParts(Math.max(1, Math.min(1000, Math.floor(Number(e.target.value)) || 1)))
          }
        />
      </label>
      <button
        type="button"
        className="secondary"
        disabled={!cohort}
        title={cohort ? '' : 'Press Download selected first'}
        onClick={() => void saveManifest(parts)}
      >
        Save manifest
      </button>
    </span>
  );
}

export function SearchResults() {
  const rows = useApp((s) => s.search.rows);
  const order = useApp((s) => s.search.order);
  const selected = useApp((s) => s.search.selected);
  const phase = useApp((s) => s.search.phase);
  const more = useApp((s) => s.search.more);
  const pages = useApp((s) => s.search.pages);
  const shown = useMemo(
    () => (order ? sortRows(rows, order.column, order.ascending) : rows),
    [rows, order],
  );
  const ids = useMemo(() => shown.map((r) => r.imageSetId), [shown]);
  if (phase === 'idle') return null;
  return (
    <div className="results">
      <div className="row results-bar">
        <span aria-live="polite">
          {rows.length} image set{rows.length === 1 ? '' : 's'} found
          {pages > 0 ? ` on ${pages} page${pages === 1 ? '' : 's'}` : ''}
          {more ? ', more on AHI' : ''}
          {phase === 'searching' ? ' · searching…' : ''}
          {selected.size > 0 ? ` · ${selected.size} selected` : ''}
        </span>
        <button type="button" className="link" onClick={selectAll} disabled={rows.length === 0}>
          select all
        </button>
        <button type="button" className="link" onClick={selectNone} disabled={selected.size === 0}>
          select none
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!more || phase === 'searching'}
          onClick={() => void loadMore()}
        >
          Load more
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!more || phase === 'searching'}
          onClick={() => void loadMore(true)}
        >
          Load all pages
        </button>
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => void downloadSelected(ids)}
        >
          Download selected
        </button>
        <SaveManifest />
      </div>
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="image-sets" aria-label="Image sets found">
            <thead>
              <tr>
                <th />
                {COLUMNS.map(({ column, label }) => (
                  <th
                    key={column}
                    aria-sort={
                      order?.column === column
                        ? order.ascending
                          ? 'ascending'
                          : 'descending'
                        : 'none'
                    }
                  >
                    <button type="button" className="link" onClick={() => sortBy(column)}>
                      {label}
                      {order?.column === column ? (order.ascending ? ' ▲' : ' ▼') : ''}
                    </button>
                  </th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <Row key={r.imageSetId} row={r} checked={selected.has(r.imageSetId)} ids={ids} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Row({
  row,
  checked,
  ids,
}: {
  row: ImageSetRow;
  checked: boolean;
  ids: readonly string[];
}) {
  return (
    <>
      <tr className={checked ? 'selected' : ''} title={`Image set ${row.imageSetId}`}>
        <td>
          <input
            type="checkbox"
            aria-label={row.imageSetId}
            checked={checked}
            onChange={() => {}}
            onClick={(e) => toggleRow(row.imageSetId, e.shiftKey, ids)}
          />
        </td>
        {COLUMNS.map(({ column }) => (
          <td key={column}>{cell(row, column)}</td>
        ))}
        <td>
          <button
            type="button"
            className="link"
            aria-label={`Series of ${row.imageSetId}`}
            onClick={() => void lookAt(row.imageSetId)}
          >
            series
          </button>
        </td>
      </tr>
      <Look imageSetId={row.imageSetId} />
    </>
  );
}
