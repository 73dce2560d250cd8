/** The page: inputs on the left, status and preview on the right. */
import { useEffect } from 'react';
import { ConnectionForm } from '../ui/ConnectionForm';
import { FramePreview } from '../ui/FramePreview';
import { JobControls } from '../ui/JobControls';
import { ManifestInput } from '../ui/ManifestInput';
import { StatusLine } from '../ui/StatusLine';
import { loadLocalConfig } from './commands';

export function App() {
  useEffect(() => {
    void loadLocalConfig();
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
          <ManifestInput />
          <ConnectionForm />
          <JobControls />
        </div>
        <div className="outputs">
          <StatusLine />
          <FramePreview />
        </div>
      </div>
    </main>
  );
}
