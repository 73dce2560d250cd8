/** The page: search across the top, inputs on the left, status, numbers and preview on the right. */
import { useEffect } from 'react';
import { ConnectionForm } from './ConnectionForm';
import { FrameViewer } from './FrameViewer';
import { JobControls } from './JobControls';
import { JobsList } from './JobsList';
import { ManifestInput } from './ManifestInput';
import { ProblemsPanel } from './ProblemsPanel';
import { SearchPanel } from './SearchPanel';
import { SeriesStrip } from './SeriesStrip';
import { StatusLine } from './StatusLine';
import { ThroughputChart } from './ThroughputChart';
import { WorkerTable } from './WorkerTable';
import { snapshot, terminateWorker } from '../app/jobs';
import { initialise } from '../app/startup';

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
      <SearchPanel />
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
