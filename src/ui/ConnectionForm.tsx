/** Endpoint, region and credentials (access keys or a Cognito identity pool), kept in memory only. */
import { updateCredentials, updateSettings, useApp } from '../state/store';
import { SecretInput } from './SecretInput';

export function ConnectionForm() {
  const endpoint = useApp((s) => s.settings.endpoint);
  const region = useApp((s) => s.settings.region);
  const kind = useApp((s) => s.settings.credentialKind);
  const identityPoolId = useApp((s) => s.settings.identityPoolId);
  const cognitoLogin = useApp((s) => s.settings.cognitoLogin);
  const cognitoEndpoint = useApp((s) => s.settings.cognitoEndpoint);
  const accessKeyId = useApp((s) => s.credentials.accessKeyId);
  const secretAccessKey = useApp((s) => s.credentials.secretAccessKey);
  const sessionToken = useApp((s) => s.credentials.sessionToken);
  return (
    <fieldset className="panel">
      <legend>Connection</legend>
      <div className="row">
        <label className="wide">
          Endpoint
          <input
            value={endpoint}
            placeholder="empty: AWS for the region"
            onChange={(e) => updateSettings({ endpoint: e.target.value })}
            spellCheck={false}
          />
        </label>
        <label className="narrow">
          Region
          <input
            value={region}
            onChange={(e) => updateSettings({ region: e.target.value })}
            spellCheck={false}
          />
        </label>
      </div>
      <div className="tabs" role="radiogroup" aria-label="Credentials">
        <label className="inline">
          <input
            type="radio"
            name="credkind"
            checked={kind === 'static'}
            onChange={() => updateSettings({ credentialKind: 'static' })}
          />
          Access keys
        </label>
        <label className="inline">
          <input
            type="radio"
            name="credkind"
            checked={kind === 'cognito'}
            onChange={() => updateSettings({ credentialKind: 'cognito' })}
          />
          Cognito identity pool
        </label>
      </div>
      {kind === 'static' ? (
        <>
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
            <SecretInput
              value={secretAccessKey}
              onChange={(v) => updateCredentials({ secretAccessKey: v })}
            />
          </label>
          <label>
            Session token
            <SecretInput
              value={sessionToken}
              placeholder="only for temporary (ASIA…) keys"
              onChange={(v) => updateCredentials({ sessionToken: v })}
            />
          </label>
        </>
      ) : (
        <>
          <label>
            Identity pool ID
            <input
              value={identityPoolId}
              placeholder="us-east-1:xxxxxxxx-…"
              onChange={(e) => updateSettings({ identityPoolId: e.target.value })}
              spellCheck={false}
            />
          </label>
          <label>
            Cognito login
            <SecretInput
              value={cognitoLogin}
              placeholder="optional: provider=ID token"
              onChange={(v) => updateSettings({ cognitoLogin: v })}
            />
          </label>
          <label>
            Cognito URL
            <input
              value={cognitoEndpoint}
              placeholder="empty: AWS"
              onChange={(e) => updateSettings({ cognitoEndpoint: e.target.value })}
              spellCheck={false}
            />
          </label>
        </>
      )}
      <p className="hint">
        Keys and tokens stay in this tab&apos;s memory: never stored, never logged. Cognito
        credentials refresh themselves before they expire.
      </p>
    </fieldset>
  );
}
