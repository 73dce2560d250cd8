/** Format, concurrency and the Start / Pause / Resume / Cancel buttons. */
import { cancel, pause, resume, setInFlight, start, updateSettings } from '../app/commands';
import type { Format } from '../core/protocol';
import { useApp } from '../state/store';

export function JobControls() {
  const format = useApp((s) => s.settings.format);
  const workers = useApp((s) => s.settings.workers);
  const inFlight = useApp((s) => s.settings.inFlight);
  const phase = useApp((s) => s.job.phase);
  const busy = phase === 'preparing' || phase === 'running' || phase === 'paused';
  return (
    <fieldset className="panel controls">
      <legend>Job</legend>
      <label>
        Format
        <select
          value={format}
          disabled={busy}
          onChange={(e) => updateSettings({ format: e.target.value as Format })}
        >
          <option value="jph">jph: keep the codestream</option>
          <option value="raw">raw: decode, verify, keep pixels</option>
          <option value="mem">mem: decode, verify, discard</option>
        </select>
      </label>
      <label>
        Workers
        <input
          type="number"
          min={1}
          max={16}
          value={workers}
          disabled={busy}
          onChange={(e) => updateSettings({ workers: Math.max(1, Number(e.target.value) || 1) })}
        />
      </label>
      <label>
        Requests in flight
        <input
          type="number"
          min={1}
          max={200}
          value={inFlight}
          onChange={(e) => setInFlight(Math.max(1, Number(e.target.value) || 1))}
        />
      </label>
      <div className="buttons">
        <button type="button" onClick={() => void start()} disabled={busy}>
          Start
        </button>
        <button type="button" onClick={pause} disabled={phase !== 'running'}>
          Pause
        </button>
        <button type="button" onClick={resume} disabled={phase !== 'paused'}>
          Resume
        </button>
        <button type="button" onClick={cancel} disabled={!busy}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}
