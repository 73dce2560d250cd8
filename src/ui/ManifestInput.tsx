/** Where frames come from: manifest files, pasted JSON, or a demo image set of the local server. */
import { loadDemoManifest, updateSettings } from '../app/commands';
import { useApp } from '../state/store';

export function ManifestInput() {
  const manifestText = useApp((s) => s.settings.manifestText);
  const demo = useApp((s) => s.settings.demo);
  return (
    <fieldset className="panel">
      <legend>Frames</legend>
      <label>
        Manifest
        <input
          type="file"
          accept=".json,application/json"
          multiple
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            void Promise.all(files.map((f) => f.text())).then((texts) => {
              // Several files become one JSON array of documents; the plan merges them.
              const text = texts.length === 1 ? texts[0]! : `[${texts.join(',')}]`;
              updateSettings({
                manifestText: text,
                manifestName: files.map((f) => f.name).join(', '),
              });
            });
          }}
        />
      </label>
      <label>
        Manifest JSON
        <textarea
          rows={8}
          value={manifestText}
          spellCheck={false}
          onChange={(e) =>
            updateSettings({ manifestText: e.target.value, manifestName: 'pasted JSON' })
          }
        />
      </label>
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
