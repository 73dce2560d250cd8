/**
 * Where frames come from: manifest files (dropped or picked, JSON or gzip, several at once),
 * pasted JSON, image set IDs (metadata fetched from AHI), or a demo image set of the local server.
 */
import { useState } from 'react';
import { setManifestFiles } from '../app/jobs';
import { loadDemoManifest } from '../app/startup';
import { updateSettings, useApp } from '../state/store';

export function ManifestInput() {
  const source = useApp((s) => s.settings.source);
  const manifestText = useApp((s) => s.settings.manifestText);
  const files = useApp((s) => s.settings.manifestFiles);
  const datastoreId = useApp((s) => s.settings.datastoreId);
  const imageSetId = useApp((s) => s.settings.imageSetId);
  const version = useApp((s) => s.settings.version);
  const demo = useApp((s) => s.settings.demo);
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
      </div>
      <label>
        Manifest
        <input
          type="file"
          accept=".json,.gz,application/json,application/gzip"
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
