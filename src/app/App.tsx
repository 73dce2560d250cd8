/** The page: inputs on the left, status, numbers and preview on the right. */
import { useEffect } from 'react';
import { ConnectionForm } from '../ui/ConnectionForm';
import { FrameViewer } from '../ui/FrameViewer';
import { JobControls } from '../ui/JobControls';
import { JobsList } from '../ui/JobsList';
import { ManifestInput } from '../ui/ManifestInput';
import { ProblemsPanel } from '../ui/ProblemsPanel';
import { SeriesStrip } from '../ui/SeriesStrip';
import { StatusLine } from '../ui/StatusLine';
import { ThroughputChart } from '../ui/ThroughputChart';
import { WorkerTable } from '../ui/WorkerTable';
import { initialise, snapshot, terminateWorker } from './commands';

// Diagnostics for fault drills and scripts: kill a worker as a crash would (its frames are requeued).
declare global {
  interface Window {
    ahiDiagnostics?: { terminateWorker(id: number): void; snapshot: typeof snapshot };
  }
}
window.ahiDiagnostics = { terminateWorker, snapshot };

export function App() {
  useEffect(() => {
    void initialise();
  }, []);
  return (
    <main className="app">
      <header>
        <h1>ahi-web-retrieve</h1>
        <p>
          Download AWS HealthImaging frames in the browser: signed, decoded and checksum-verified.
        </p>
      </header>
      <div className="columns">
        <div className="inputs">
          <JobControls />
          <ManifestInput />
          <ConnectionForm />
        </div>
        <div className="outputs">
          <StatusLine />
          <ThroughputChart />
          <ProblemsPanel />
          <FrameViewer />
          <SeriesStrip />
          <WorkerTable />
          <JobsList />
        </div>
      </div>
    </main>
  );
}
