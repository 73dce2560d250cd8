/**
 * What the form asks for, read once for every command that talks to AHI: the credentials input,
 * the source request, the settings a job keeps, and a signed client for the page's own calls
 * (search, datastores), with the endpoint and region checked first.
 */
import type { PersistedSettings } from '../core/job';
import type { SourceRequest } from '../core/protocol';
import { AhiClient } from '../io/ahiClient';
import { CredentialManager, type CredentialInput } from '../io/credentials';
import { checkEndpoint, checkRegion } from '../io/endpoint';
import { appStore, type SettingsSlice } from '../state/store';

export const workerCount = (n: number) => Math.max(1, Math.min(16, Math.floor(n)));

export function credentialInput(): CredentialInput {
  const { settings, credentials } = appStore.getState();
  if (settings.credentialKind === 'cognito') {
    return {
      kind: 'cognito',
      identityPoolId: settings.identityPoolId,
      region: settings.identityPoolId.split(':')[0] || settings.region,
      login: settings.cognitoLogin,
      endpoint: settings.cognitoEndpoint,
    };
  }
  return { kind: 'static', ...credentials };
}

export function persistedSettings(
  settings: SettingsSlice,
  endpoint: string,
  region: string,
): PersistedSettings {
  return {
    endpoint,
    region,
    format: settings.format,
    verify: settings.verify,
    workers: workerCount(settings.workers),
    inFlight: Math.max(1, Math.min(500, Math.floor(settings.inFlight))),
    autoTune: settings.autoTune,
  };
}

/** The form's choice of source as the plan worker's request. */
export function sourceRequest(s: SettingsSlice): SourceRequest {
  if (s.source === 'ids')
    return {
      kind: 'imageSet',
      datastoreId: s.datastoreId,
      imageSetId: s.imageSetId,
      version: s.version,
    };
  if (s.source === 'cohort')
    return {
      kind: 'cohort',
      datastoreId: s.cohort?.datastoreId ?? '',
      imageSets: (s.cohort?.imageSets ?? []).map(({ imageSetId, version }) => ({
        imageSetId,
        ...(version ? { version } : {}),
      })),
    };
  return { kind: 'manifest', files: s.manifestFiles, text: s.manifestText };
}

/** The endpoint and region checked, and credentials obtained (Cognito's fetched). */
export async function connection(): Promise<{
  endpoint: string;
  region: string;
  credentials: CredentialManager;
}> {
  const { settings } = appStore.getState();
  const region = checkRegion(settings.region);
  const endpoint = checkEndpoint(settings.endpoint, region);
  return { endpoint, region, credentials: await CredentialManager.create(credentialInput()) };
}

/** A signed client for the page's own calls (search, the control plane). */
export async function pageClient(): Promise<AhiClient> {
  const c = await connection();
  return new AhiClient(c.endpoint, c.region, c.credentials.credentials);
}
