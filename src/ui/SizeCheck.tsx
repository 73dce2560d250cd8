/**
 * Before Start: the source's frames and bytes (FrameSizeInBytes, per image set while it is read),
 * against the storage the browser leaves this site, with a warning and what to do when the job
 * will not fit.
 */
import { checkSize } from '../app/size';
import { persistStorage } from '../app/storage';
import { storageFit } from '../core/fit';
import { formatBytes } from '../core/format';
import { isBusy } from '../core/job';
import { useApp } from '../state/store';

export function SizeCheck() {
  const size = useApp((s) => s.size);
  const format = useApp((s) => s.settings.format);
  const storage = useApp((s) => s.storage);
  const busy = useApp((s) => isBusy(s.job.phase));
  const result = size.size;
  const fit = result ? storageFit(result.bytes, format, storage, size.room) : undefined;
  return (
    <div className="size-check" aria-label="Size">
      {size.phase === 'checking' && (
        <p className="hint" aria-live="polite">
          Checking the size
          {size.total > 0 ? `: metadata of ${size.done} of ${size.total} image sets read` : '…'}
        </p>
      )}
      {size.phase === 'failed' && <p className="status failed">Size unknown: {size.message}</p>}
      {result && fit && (
        <>
          <p className="hint" aria-live="polite">
            {result.frames.toLocaleString('en')} frames in {result.imageSets.length} image set
            {result.imageSets.length === 1 ? '' : 's'}, {formatBytes(result.bytes)} decoded
            {result.unsized ? ` (${result.unsized} frames list no size)` : ''}
            {format === 'mem'
              ? ' · mem keeps nothing'
              : fit.free !== undefined
                ? ` · browser storage free: ${formatBytes(fit.free)}`
                : ''}
          </p>
          {!fit.fits && (
            <div className="status failed" role="alert">
              This job will not fit: it may store {formatBytes(fit.needed)}
              {format === 'jph' ? ' (at most; codestreams are smaller)' : ''}, and{' '}
              {fit.refused
                ? 'the browser refused to set that much aside for this site (its storage quota is smaller than its estimate says)'
                : `the browser leaves this site ${formatBytes(fit.free ?? 0)}`}
              . You can:
              <ul>
                {fit.advice.map((a) => (
                  <li key={a}>{a}</li>
                ))}
              </ul>
              {!storage.persisted && (
                <button type="button" className="secondary" onClick={() => void persistStorage()}>
                  Ask for persistent storage
                </button>
              )}
            </div>
          )}
        </>
      )}
      {size.message && size.phase !== 'failed' && <p className="status failed">{size.message}</p>}
      <button
        type="button"
        className="link"
        disabled={busy || size.phase === 'checking'}
        onClick={() => void checkSize()}
      >
        {result ? 'check the size again' : 'Check size'}
      </button>
    </div>
  );
}
