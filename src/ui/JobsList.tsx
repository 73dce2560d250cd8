/** Jobs stored in this browser: state, size, date; continue or delete each. */
import { deleteStoredJob, resume } from '../app/commands';
import { formatBytes } from '../core/format';
import { useApp } from '../state/store';

export function JobsList() {
  const jobs = useApp((s) => s.jobs);
  const busy = useApp((s) => s.job.phase === 'running' || s.job.phase === 'preparing');
  if (jobs.length === 0) return null;
  return (
    <section className="panel jobs" aria-label="Stored jobs">
      <h2>Stored jobs</h2>
      <ul>
        {jobs.map((j) => {
          const when = new Date(j.createdAt).toLocaleString();
          return (
            <li key={j.id}>
              <span className="job-name" title={j.name}>
                {j.name}
              </span>{' '}
              <span className="hint">
                {j.state}, {j.done} of {j.frames} frames, {formatBytes(j.bytes)}, {when}
              </span>{' '}
              {j.state !== 'done' && (
                <button
                  type="button"
                  className="link"
                  disabled={busy}
                  aria-label={`Continue job from ${when}`}
                  onClick={() => void resume(j.id)}
                >
                  continue
                </button>
              )}{' '}
              <button
                type="button"
                className="link"
                aria-label={`Delete job from ${when}`}
                onClick={() => void deleteStoredJob(j.id)}
              >
                delete
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
