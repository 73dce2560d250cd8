/**
 * Jobs stored in this browser: state, size, date; view, continue, export or delete each; storage
 * used against what the browser allows, and a request to keep it (persist) once it grows large.
 */
import { exportJobFolder, exportJobZip } from '../app/exports';
import { deleteStoredJob, resume, viewStoredJob } from '../app/jobs';
import { persistStorage } from '../app/storage';
import { formatBytes } from '../core/format';
import { isBusy, isUnfinished } from '../core/job';
import { useApp } from '../state/store';

/** Past this much stored data, losing it to eviction would cost a long download: offer persist. */
const PERSIST_OFFER_BYTES = 200e6;

function StorageLine() {
  const storage = useApp((s) => s.storage);
  if (storage.usage === undefined) return null;
  const share = storage.quota ? (100 * storage.usage) / storage.quota : undefined;
  return (
    <p className="storage hint" data-usage={storage.usage}>
      Storage used: {formatBytes(storage.usage)}
      {storage.quota ? ` of ${formatBytes(storage.quota)} available (${share!.toFixed(1)} %)` : ''}
      {storage.persisted
        ? '; kept by the browser (persistent).'
        : '; the browser may clear it under storage pressure.'}{' '}
      {!storage.persisted && storage.usage > PERSIST_OFFER_BYTES && (
        <button type="button" className="link" onClick={() => void persistStorage()}>
          Keep stored frames
        </button>
      )}
    </p>
  );
}

export function JobsList() {
  const jobs = useApp((s) => s.jobs);
  const busy = useApp((s) => isBusy(s.job.phase));
  const viewing = useApp((s) => s.viewer.jobId);
  const exportBusy = useApp((s) => s.exporting.phase === 'running');
  if (jobs.length === 0) return null;
  return (
    <section className="panel jobs" aria-label="Stored jobs">
      <h2>Stored jobs</h2>
      <StorageLine />
      <ul>
        {jobs.map((j) => {
          const when = new Date(j.createdAt).toLocaleString();
          return (
            <li key={j.id} className={viewing === j.id ? 'viewing' : undefined}>
              <span className="job-name" title={j.name}>
                {j.name}
              </span>{' '}
              <span className="hint">
                {j.state}, {j.done} of {j.frames} frames, {formatBytes(j.bytes)}, {when}
              </span>{' '}
              <span className="job-actions">
                <button
                  type="button"
                  className="link"
                  disabled={viewing === j.id}
                  aria-label={`View job from ${when}`}
                  onClick={() => void viewStoredJob(j.id)}
                >
                  view
                </button>
                {isUnfinished(j.state) && (
                  <button
                    type="button"
                    className="link"
                    disabled={busy}
                    aria-label={`Continue job from ${when}`}
                    onClick={() => void resume(j.id)}
                  >
                    continue
                  </button>
                )}
                <button
                  type="button"
                  className="link"
                  disabled={exportBusy}
                  aria-label={`Export zip of job from ${when}`}
                  onClick={() => void exportJobZip(j.id)}
                >
                  zip
                </button>
                <button
                  type="button"
                  className="link"
                  disabled={exportBusy}
                  aria-label={`Export job from ${when} to a folder`}
                  onClick={() => void exportJobFolder(j.id)}
                >
                  folder
                </button>
                <button
                  type="button"
                  className="link"
                  aria-label={`Delete job from ${when}`}
                  onClick={() => void deleteStoredJob(j.id)}
                >
                  delete
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
