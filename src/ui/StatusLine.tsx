/** The job's one-line status ("N of M frames", then the outcome), its rate, and failures in words. */
import { ERROR_ADVICE } from '../core/errors';
import { formatBytes, formatRate } from '../core/format';
import { useApp, type JobSlice } from '../state/store';

function statusText(job: JobSlice): string {
  const done = job.skipped + job.verified + job.stored + job.failed;
  switch (job.phase) {
    case 'idle':
      return 'Ready.';
    case 'preparing':
      return 'Reading the manifest and metadata…';
    case 'running':
      return `${done} of ${job.total} frames`;
    case 'paused':
      return `Paused: ${done} of ${job.total} frames${job.error ? `. ${job.error.message}` : ''}`;
    case 'done':
      return (
        `Done: ${done} of ${job.total} frames, ${job.verified} verified` +
        (job.stored ? `, ${job.stored} stored unverified` : '') +
        (job.skipped ? `, ${job.skipped} already stored` : '') +
        (job.failed ? `, ${job.failed} failed` : '') +
        ` (${formatBytes(job.bytes)}).`
      );
    case 'cancelled':
      return `Cancelled after ${done} of ${job.total} frames.`;
    case 'failed':
      return `Stopped: ${job.error?.message ?? 'unknown error'}`;
  }
}

export function StatusLine() {
  const job = useApp((s) => s.job);
  const running = job.phase === 'running' || job.phase === 'paused';
  return (
    <section className="status-area panel">
      <p role="status" className={`status ${job.phase}`}>
        {statusText(job)}
      </p>
      {job.error &&
        (job.phase === 'failed' || job.phase === 'paused') &&
        job.error.code !== 'Cancelled' && <p className="advice">{ERROR_ADVICE[job.error.code]}</p>}
      {job.error && job.phase === 'idle' && <p className="advice">{job.error.message}</p>}
      {(running || job.phase === 'done') && (
        <p className="numbers">
          {formatRate(job.bytesPerSecond)} · {job.framesPerSecond.toFixed(0)} frames/s ·{' '}
          {job.inFlight} in flight · {job.queued} queued · {job.retries} retries
          {job.retries > 0 &&
            ` (${Object.entries(job.retriesByCode)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`}
        </p>
      )}
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
