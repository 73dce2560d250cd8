/** The job's one-line status ("N of M frames", then the outcome), its rate, and failures in words. */
import { ERROR_ADVICE } from '../core/errors';
import { formatBytes, formatRate } from '../core/format';
import { isHalted, isUnderway } from '../core/job';
import { useApp, type JobSlice } from '../state/store';

/** Frames that reached their end: stored before this run, verified, stored unverified or failed. */
const framesDone = (job: JobSlice) =>
  job.skipped + job.verified + job.stored + job.unverifiable + job.failed;

function statusText(job: JobSlice): string {
  const done = framesDone(job);
  switch (job.phase) {
    case 'idle':
      return 'Ready.';
    case 'preparing':
      return job.gathering && job.gathering.total > 1
        ? `Reading metadata: ${job.gathering.done} of ${job.gathering.total} image sets…`
        : 'Reading the manifest and metadata…';
    case 'running':
      return `${done} of ${job.total} frames`;
    case 'paused':
      return `Paused: ${done} of ${job.total} frames${job.error ? `. ${job.error.message}` : ''}`;
    case 'done':
      return (
        `Done: ${done} of ${job.total} frames, ${job.verified} verified` +
        (job.stored ? `, ${job.stored} stored unverified` : '') +
        (job.unverifiable ? `, ${job.unverifiable} stored, not verifiable` : '') +
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

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Done / total, bytes, elapsed, ETA, average and current rate. */
function Totals({ job }: { job: JobSlice }) {
  const done = framesDone(job);
  const elapsed = job.elapsedMs;
  const average = elapsed > 0 ? (job.bytes * 1000) / elapsed : 0;
  const left = job.total - done;
  const eta =
    job.phase === 'running' && job.framesPerSecond > 0 && left > 0
      ? duration((left / job.framesPerSecond) * 1000)
      : undefined;
  return (
    <dl className="totals">
      <div>
        <dt>Frames</dt>
        <dd>
          {done} / {job.total}
        </dd>
      </div>
      <div>
        <dt>Received</dt>
        <dd>{formatBytes(job.bytes)}</dd>
      </div>
      <div>
        <dt>Elapsed</dt>
        <dd>{duration(elapsed)}</dd>
      </div>
      <div>
        <dt>Left</dt>
        <dd>{eta ?? (left > 0 ? '–' : 'none')}</dd>
      </div>
      <div>
        <dt>Average</dt>
        <dd>{formatRate(average)}</dd>
      </div>
      <div>
        <dt>Now</dt>
        <dd>{job.phase === 'running' ? formatRate(job.bytesPerSecond) : '–'}</dd>
      </div>
    </dl>
  );
}

/** Frames kept as received whose checksum could not prove them, grouped by why. */
function Unverifiable({ job }: { job: JobSlice }) {
  return (
    <div className="unverifiable" role="note" aria-label="Stored, not verifiable">
      <p>
        {job.unverifiable} frame{job.unverifiable === 1 ? '' : 's'} stored as received but not
        verifiable: their bytes are kept, their pixels were not proven against AHI&apos;s checksum.
      </p>
      <ul>
        {Object.entries(job.unverifiableReasons).map(([reason, n]) => (
          <li key={reason}>
            {n} × {reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function StatusLine() {
  const job = useApp((s) => s.job);
  const running = isUnderway(job.phase);
  return (
    <section className="status-area panel">
      <p role="status" className={`status ${job.phase}`}>
        {statusText(job)}
      </p>
      {job.error && isHalted(job.phase) && job.error.code !== 'Cancelled' && (
        <p className="advice">{ERROR_ADVICE[job.error.code]}</p>
      )}
      {job.error && job.phase === 'idle' && <p className="advice">{job.error.message}</p>}
      {job.waiting && job.phase === 'running' && (
        <p className="advice waiting" role="alert">
          Waiting for the endpoint to answer again ({job.waiting.message}); next try in{' '}
          {Math.round(job.waiting.delayMs / 1000)} s. Stored frames are safe and nothing is skipped.
        </p>
      )}
      {(running || job.phase === 'done' || job.phase === 'cancelled') && <Totals job={job} />}
      {job.unverifiable > 0 && <Unverifiable job={job} />}
      {(running || job.phase === 'done') && (
        <p className="numbers">
          {formatRate(job.bytesPerSecond)} · {job.framesPerSecond.toFixed(0)} frames/s ·{' '}
          {job.inFlight} in flight (limit {job.limit}) · {job.queued} queued ·{' '}
          {job.rateCap > 0 && `slowed to ${job.rateCap.toFixed(0)} requests/s after throttling · `}
          {job.retries} retries
          {job.retries > 0 &&
            ` (${Object.entries(job.problems)
              .filter(([, p]) => p.retried > 0)
              .map(([code, p]) => `${code} ${p.retried}`)
              .join(', ')})`}
        </p>
      )}
      {job.duplicates > 0 && (
        <p className="hint">{job.duplicates} duplicate frame listings were fetched once.</p>
      )}
    </section>
  );
}
