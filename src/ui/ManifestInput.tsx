/**
 * Where frames come from: manifest files (dropped or picked, JSON, gzip or zips of them, several at
 * once), pasted JSON, image set IDs (metadata fetched from AHI), the image sets selected in a
 * search, or a demo image set of the local server; and their size before Start.
 */
import { useState } from 'react';
import { setManifestFiles } from '../app/jobs';
import { sourceChanged } from '../app/size';
import { loadDemoManifest } from '../app/startup';
import { updateSettings as setSettings, useApp, type SettingsSlice } from '../state/store';
import { SizeCheck } from './SizeCheck';

/** A change of the source: a size checked before no longer applies. */
function updateSettings(patch: Partial<SettingsSlice>) {
  setSettings(patch);
  sourceChanged();
}

function CohortChoice() {
  const cohort = useApp((s) => s.settings.cohort);
  if (!cohort) return null;
  const n = cohort.imageSets.length;
  return (
    <div className="cohort">
      <p className="hint">
        {n} image set{n === 1 ? '' : 's'} selected in datastore{' '}
        <span className="mono">{cohort.datastoreId}</span>:
      </p>
      <ul>
        {cohort.imageSets.slice(0, 5).map((s) => (
          <li key={s.imageSetId}>
            {s.label || s.imageSetId} <span className="mono hint">{s.imageSetId.slice(0, 8)}…</span>
          </li>
        ))}
        {n > 5 && <li className="hint">and {n - 5} more</li>}
      </ul>
    </div>
  );
}

export function ManifestInput() {
  const source = useApp((s) => s.settings.source);
  const manifestText = useApp((s) => s.settings.manifestText);
  const files = useApp((s) => s.settings.manifestFiles);
  const datastoreId = useApp((s) => s.settings.datastoreId);
  const imageSetId = useApp((s) => s.settings.imageSetId);
  const version = useApp((s) => s.settings.version);
  const demo = useApp((s) => s.settings.demo);
  const hasCohort = useApp((s) => s.settings.cohort !== undefined);
  const [dragging, setDragging] = useState(false);
  return (
    <fieldset
      className={`panel ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void setManifestFiles([...e.dataTransfer.files]);
      }}
    >
      <legend>Frames</legend>
      <div className="tabs" role="radiogroup" aria-label="Source">
        <label className="inline">
          <input
            type="radio"
            name="source"
            checked={source === 'manifest'}
            onChange={() => updateSettings({ source: 'manifest' })}
          />
          Manifest files or JSON
        </label>
        <label className="inline">
          <input
            type="radio"
            name="source"
            checked={source === 'ids'}
            onChange={() => updateSettings({ source: 'ids' })}
          />
          Image set by ID
        </label>
        <label className="inline">
          <input
            type="radio"
            name="source"
            checked={source === 'cohort'}
            disabled={!hasCohort}
            onChange={() => updateSettings({ source: 'cohort' })}
          />
          Search selection
        </label>
      </div>
      {source === 'cohort' && <CohortChoice />}
      <SizeCheck />
      <label>
        Manifest
        <input
          type="file"
          accept=".json,.gz,.zip,application/json,application/gzip,application/zip"
          multiple
          onChange={(e) => void setManifestFiles([...(e.target.files ?? [])])}
        />
      </label>
      {files.length > 0 && (
        <p className="hint">
          Using {files.length} file{files.length > 1 ? 's' : ''}:{' '}
          {files.map((f) => f.name).join(', ')}{' '}
          <button
            type="button"
            className="link"
            onClick={() => updateSettings({ manifestFiles: [] })}
          >
            clear
          </button>
        </p>
      )}
      <label>
        Manifest JSON
        <textarea
          rows={6}
          value={manifestText}
          spellCheck={false}
          placeholder="Paste an ahi-retrieve manifest or an image set metadata document, or drop files here."
          onChange={(e) =>
            updateSettings({ manifestText: e.target.value, manifestFiles: [], source: 'manifest' })
          }
        />
      </label>
      <div className="row">
        <label>
          Datastore ID
          <input
            value={datastoreId}
            spellCheck={false}
            onChange={(e) => updateSettings({ datastoreId: e.target.value, source: 'ids' })}
          />
        </label>
        <label>
          Image set ID
          <input
            value={imageSetId}
            spellCheck={false}
            onChange={(e) => updateSettings({ imageSetId: e.target.value, source: 'ids' })}
          />
        </label>
        <label className="narrow">
          Version
          <input
            value={version}
            placeholder="latest"
            onChange={(e) => updateSettings({ version: e.target.value, source: 'ids' })}
          />
        </label>
      </div>
      {demo.length > 0 && (
        <div className="demo">
          Demo data on the local server:{' '}
          {demo.map((d) => (
            <button
              key={d.imageSetId}
              type="button"
              onClick={() => void loadDemoManifest(d)}
              title={d.description}
            >
              {d.name} ({d.frames} frames)
            </button>
          ))}
        </div>
      )}
    </fieldset>
  );
}
