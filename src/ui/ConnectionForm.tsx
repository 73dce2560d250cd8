/** Endpoint, region and credentials. Credentials stay in memory: the form says so. */
import { updateCredentials, updateSettings } from '../app/commands';
import { useApp } from '../state/store';

export function ConnectionForm() {
  const endpoint = useApp((s) => s.settings.endpoint);
  const region = useApp((s) => s.settings.region);
  const accessKeyId = useApp((s) => s.credentials.accessKeyId);
  const secretAccessKey = useApp((s) => s.credentials.secretAccessKey);
  const sessionToken = useApp((s) => s.credentials.sessionToken);
  return (
    <fieldset className="panel">
      <legend>Connection</legend>
      <label>
        Endpoint
        <input
          value={endpoint}
          placeholder="https://runtime-medical-imaging.<region>.amazonaws.com (empty = AWS for the region)"
          onChange={(e) => updateSettings({ endpoint: e.target.value })}
          spellCheck={false}
        />
      </label>
      <label>
        Region
        <input
          value={region}
          onChange={(e) => updateSettings({ region: e.target.value })}
          spellCheck={false}
        />
      </label>
      <label>
        Access key ID
        <input
          value={accessKeyId}
          onChange={(e) => updateCredentials({ accessKeyId: e.target.value })}
          autoComplete="off"
          spellCheck={false}
        />
      </label>
      <label>
        Secret access key
        <input
          type="password"
          value={secretAccessKey}
          onChange={(e) => updateCredentials({ secretAccessKey: e.target.value })}
          autoComplete="off"
        />
      </label>
      <label>
        Session token
        <input
          type="password"
          value={sessionToken}
          placeholder="only for temporary (ASIA…) keys"
          onChange={(e) => updateCredentials({ sessionToken: e.target.value })}
          autoComplete="off"
        />
      </label>
      <p className="hint">Keys stay in this tab&apos;s memory: never stored, never logged.</p>
    </fieldset>
  );
}
