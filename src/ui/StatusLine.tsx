/** The job's one-line status ("N of M frames", then the outcome) and its failures, in words. */
import { ERROR_ADVICE } from '../core/errors';
import { formatBytes } from '../core/format';
import { useApp } from '../state/store';

export function StatusLine() {
  const job = useApp((s) => s.job);
  const done = job.verified + job.stored + job.failed;
  let text: string;
  switch (job.phase) {
    case 'idle':
      text = 'Ready.';
      break;
    case 'preparing':
      text = 'Reading the manifest and metadata…';
      break;
    case 'running':
    case 'paused':
      text = `${done} of ${job.total} frames${job.phase === 'paused' ? ' (paused)' : ''}`;
      break;
    case 'done':
      text =
        `Done: ${done} of ${job.total} frames, ${job.verified} verified` +
        (job.stored ? `, ${job.stored} stored unverified` : '') +
        (job.failed ? `, ${job.failed} failed` : '') +
        ` (${formatBytes(job.bytes)}).`;
      break;
    case 'cancelled':
      text = `Cancelled after ${done} of ${job.total} frames.`;
      break;
    case 'failed':
      text = `Stopped: ${job.error?.message ?? 'unknown error'}`;
      break;
  }
  return (
    <section className="status-area">
      <p role="status" className={`status ${job.phase}`}>
        {text}
      </p>
      {job.error && job.phase === 'failed' && (
        <p className="advice">{ERROR_ADVICE[job.error.code]}</p>
      )}
      {job.error && job.phase !== 'failed' && <p className="advice">{job.error.message}</p>}
      {job.duplicates > 0 && (
        <p className="hint">{job.duplicates} duplicate frame listings were fetched once.</p>
      )}
      {job.failures.length > 0 && (
        <details open>
          <summary>{job.failed} failed frames</summary>
          <ul className="failures">
            {job.failures.map((f) => (
              <li key={f.key}>
                <strong>{f.error.code}</strong> {f.error.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
