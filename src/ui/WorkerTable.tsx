/** Per-worker numbers: in flight, queued, done, failed, average decode time. */
import { formatBytes } from '../core/format';
import { useApp } from '../state/store';

export function WorkerTable() {
  const workers = useApp((s) => s.job.workers);
  if (workers.length === 0) return null;
  return (
    <table className="workers panel" aria-label="Worker statistics">
      <thead>
        <tr>
          <th>Worker</th>
          <th>In flight</th>
          <th>Queued</th>
          <th>Done</th>
          <th>Failed</th>
          <th>Received</th>
          <th>Decode ms</th>
          <th title="mean per frame: waiting for response headers / reading the body / CRC-32 / storing">
            Wait · body · CRC · store ms
          </th>
        </tr>
      </thead>
      <tbody>
        {workers.map((w) => (
          <tr key={w.workerId}>
            <td>{w.workerId}</td>
            <td>{w.inFlight}</td>
            <td>{w.queued}</td>
            <td>{w.done}</td>
            <td>{w.failed}</td>
            <td>{formatBytes(w.bytes)}</td>
            <td>{w.decoded ? (w.decodeMs / w.decoded).toFixed(1) : '–'}</td>
            <td>
              {w.done + w.failed > 0
                ? [w.requestMs, w.bodyMs, w.crcMs, w.storeMs]
                    .map((v) => (v / (w.done + w.failed)).toFixed(1))
                    .join(' · ')
                : '–'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
