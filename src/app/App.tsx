/** The page: inputs on the left, status, numbers and preview on the right. */
import { useEffect } from 'react';
import { ConnectionForm } from '../ui/ConnectionForm';
import { FramePreview } from '../ui/FramePreview';
import { JobControls } from '../ui/JobControls';
import { JobsList } from '../ui/JobsList';
import { ManifestInput } from '../ui/ManifestInput';
import { StatusLine } from '../ui/StatusLine';
import { WorkerTable } from '../ui/WorkerTable';
import { initialise } from './commands';

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
          <WorkerTable />
          <FramePreview />
          <JobsList />
        </div>
      </div>
    </main>
  );
}
