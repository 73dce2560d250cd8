/** Format, verification, concurrency and the Start / Pause / Resume / Cancel buttons. */
import { chooseDestination, clearDestination, folderUnsupported } from '../app/destination';
import { cancelExport, exportJobFolder, exportJobZip } from '../app/exports';
import { cancel, pause, resume, setInFlight, start } from '../app/jobs';
import { formatBytes } from '../core/format';
import type { Format } from '../core/protocol';
import { canCancel, canResume, isBusy } from '../core/job';
import { updateSettings, useApp } from '../state/store';

export function JobControls() {
  const format = useApp((s) => s.settings.format);
  const verify = useApp((s) => s.settings.verify);
  const workers = useApp((s) => s.settings.workers);
  const inFlight = useApp((s) => s.settings.inFlight);
  const autoTune = useApp((s) => s.settings.autoTune);
  const phase = useApp((s) => s.job.phase);
  const jobId = useApp((s) => s.job.id);
  const hasJob = jobId !== undefined;
  const exporting = useApp((s) => s.exporting);
  const exportFormat = useApp((s) => s.settings.exportFormat);
  const dicomSyntax = useApp((s) => s.settings.dicomSyntax);
  const dicomTemplate = useApp((s) => s.settings.dicomTemplate);
  const niftiCompression = useApp((s) => s.settings.niftiCompression);
  const destination = useApp((s) => s.destination);
  const exportBusy = exporting.phase === 'running';
  const busy = isBusy(phase);
  const resumable = hasJob && canResume(phase);
  return (
    <fieldset className="panel controls">
      <legend>Job</legend>
      <label>
        Format
        <select
          aria-label="Format"
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
          onChange={(e) =>
            updateSettings({ workers: Math.max(1, Math.min(16, Number(e.target.value) || 1)) })
          }
        />
      </label>
      <label>
        Requests in flight
        <input
          type="number"
          min={1}
          max={500}
          value={inFlight}
          onChange={(e) => setInFlight(Math.max(1, Math.min(500, Number(e.target.value) || 1)))}
        />
      </label>
      <label
        className="inline"
        title="Adapts the in-flight limit while running: raises it while throughput grows, cuts it on throttling or falling throughput; the number above is where it starts"
      >
        <input
          type="checkbox"
          checked={autoTune}
          disabled={busy}
          onChange={(e) => updateSettings({ autoTune: e.target.checked })}
        />
        Auto-tune
      </label>
      <label className="inline">
        <input
          type="checkbox"
          checked={verify || format !== 'jph'}
          disabled={busy || format !== 'jph'}
          onChange={(e) => updateSettings({ verify: e.target.checked })}
        />
        Verify checksums
      </label>
      <div className="buttons">
        <button type="button" onClick={() => void start()} disabled={busy}>
          Start
        </button>
        <button type="button" onClick={() => void pause()} disabled={phase !== 'running'}>
          Pause
        </button>
        <button type="button" onClick={() => void resume()} disabled={!resumable}>
          Resume
        </button>
        <button type="button" onClick={() => void cancel()} disabled={!canCancel(phase)}>
          Cancel
        </button>
      </div>
      <div className="row export-format">
        <label>
          Export format
          <select
            value={exportFormat}
            onChange={(e) =>
              updateSettings({ exportFormat: e.target.value as 'ahi-retrieve' | 'dicom' | 'nifti' })
            }
          >
            <option value="ahi-retrieve">ahi-retrieve</option>
            <option value="dicom">DICOM</option>
            <option value="nifti">NIfTI</option>
          </select>
        </label>
        {exportFormat === 'dicom' && (
          <label>
            DICOM transfer syntax
            <select
              value={dicomSyntax}
              onChange={(e) =>
                updateSettings({ dicomSyntax: e.target.value as 'stored' | 'explicit' })
              }
            >
              <option value="stored">As stored</option>
              <option value="explicit">Explicit VR Little Endian</option>
            </select>
          </label>
        )}
        {exportFormat === 'nifti' && (
          <label>
            NIfTI file
            <select
              value={niftiCompression}
              onChange={(e) =>
                updateSettings({ niftiCompression: e.target.value as 'gz' | 'none' })
              }
            >
              <option value="gz">.nii.gz (gzipped)</option>
              <option value="none">.nii (uncompressed)</option>
            </select>
          </label>
        )}
        {exportFormat === 'dicom' && (
          <label className="wide">
            Folder template
            <input
              value={dicomTemplate}
              spellCheck={false}
              onChange={(e) => updateSettings({ dicomTemplate: e.target.value })}
            />
          </label>
        )}
      </div>
      <DestinationControl busy={busy} root={destination.root} />
      {destination.message && (
        <p className={`destination-status ${destination.phase ?? ''}`} aria-live="polite">
          {destination.message}
        </p>
      )}
      <div className="buttons export">
        <button
          type="button"
          className="secondary"
          disabled={!jobId || exportBusy}
          onClick={() => jobId && void exportJobZip(jobId)}
        >
          Export zip
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!jobId || exportBusy}
          onClick={() => jobId && void exportJobFolder(jobId)}
        >
          Export to folder
        </button>
      </div>
      {exporting.phase !== 'idle' && (
        <p className={`export-status ${exporting.phase}`} aria-live="polite">
          {exporting.phase === 'running'
            ? `Exporting${exporting.kind === 'folder' ? ' to the folder' : ''}… ${exporting.frames} frames (${formatBytes(exporting.bytes)})`
            : exporting.message}
          {exportBusy && (
            <>
              {' '}
              <button type="button" className="link" onClick={cancelExport}>
                Stop export
              </button>
            </>
          )}
        </p>
      )}
    </fieldset>
  );
}

/**
 * "Save to folder while downloading": before Start, a folder the job writes its files to in the
 * export format above, as frames arrive; or, where the browser cannot, why not.
 */
function DestinationControl({
  busy,
  root,
}: {
  busy: boolean;
  root: FileSystemDirectoryHandle | undefined;
}) {
  const unsupported = folderUnsupported();
  if (unsupported)
    return (
      <p className="destination unsupported">
        <label className="inline">
          <input type="checkbox" disabled checked={false} readOnly />
          Save to folder while downloading
        </label>{' '}
        <span className="hint">{unsupported}</span>
      </p>
    );
  return (
    <p className="destination">
      <label className="inline">
        <input
          type="checkbox"
          checked={root !== undefined}
          disabled={busy}
          onChange={(e) => {
            if (e.target.checked) void chooseDestination();
            else clearDestination();
          }}
        />
        Save to folder while downloading
      </label>{' '}
      {root ? (
        <span className="hint">
          into <strong>{root.name}</strong>, in the export format above (nothing kept in the browser
          but small records for resume).{' '}
          <button
            type="button"
            className="link"
            disabled={busy}
            onClick={() => void chooseDestination()}
          >
            Change folder
          </button>
        </span>
      ) : (
        <span className="hint">off: frames are kept in the browser until you export them.</span>
      )}
    </p>
  );
}
