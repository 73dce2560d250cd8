/**
 * Errors grouped by code: how many frames failed and how many attempts were retried for each
 * cause, the last message of each in words, the failed frames themselves, and "Retry failed
 * frames" once the run has ended.
 */
import { retryFailed } from '../app/jobs';
import { ERROR_ADVICE, type ErrorCode } from '../core/errors';
import { hasEnded } from '../core/job';
import { useApp } from '../state/store';

export function ProblemsPanel() {
  const problems = useApp((s) => s.job.problems);
  const failures = useApp((s) => s.job.failures);
  const failed = useApp((s) => s.job.failed);
  const phase = useApp((s) => s.job.phase);
  const codes = Object.keys(problems) as ErrorCode[];
  if (codes.length === 0) return null;
  const ended = hasEnded(phase);
  return (
    <section className="panel problems" aria-label="Problems">
      <h2>Problems</h2>
      <table>
        <thead>
          <tr>
            <th>Cause</th>
            <th>Frames failed</th>
            <th>Attempts retried</th>
            <th>Last message</th>
          </tr>
        </thead>
        <tbody>
          {codes
            .sort((a, b) => problems[b]!.failed - problems[a]!.failed)
            .map((code) => {
              const p = problems[code]!;
              return (
                <tr key={code} data-code={code}>
                  <td title={ERROR_ADVICE[code]}>
                    <strong>{code}</strong>
                    <div className="hint">{ERROR_ADVICE[code]}</div>
                  </td>
                  <td>{p.failed}</td>
                  <td>{p.retried}</td>
                  <td className="message">{p.message}</td>
                </tr>
              );
            })}
        </tbody>
      </table>
      {failed > 0 && (
        <>
          <details open={failed <= 20}>
            <summary>
              {failed} failed frame{failed === 1 ? '' : 's'}
              {failures.length < failed ? ` (first ${failures.length} listed)` : ''}
            </summary>
            <ul className="failures">
              {failures.map((f) => (
                <li key={f.key}>
                  <code>{f.key.split('/')[1]}</code> <strong>{f.error.code}</strong>{' '}
                  {f.error.message}
                </li>
              ))}
            </ul>
          </details>
          <button type="button" disabled={!ended} onClick={() => void retryFailed()}>
            Retry failed frames
          </button>
        </>
      )}
    </section>
  );
}
