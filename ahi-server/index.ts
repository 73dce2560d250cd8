/**
 * One call that loads the demo data, makes the certificate and starts the AHI API (and, given an
 * app directory, the app server). Used by the CLI, the tests and the benchmark.
 */
import { startAppServer, type AppServer } from './app-server';
import { loadOrCreateCertificate } from './cert';
import { loadDataset, type ImageSet } from './dataset';
import type { ServerConfig } from './knobs';
import { DEMO_IDENTITY_POOL_ID, startAhiServer, type AhiServer } from './server';

/**
 * The prefill document the app reads from /ahi-local.json: endpoint, demo credentials, Cognito
 * stand-in and demo image sets, addressed with the host name the page was loaded from.
 */
export function localConfig(
  config: ServerConfig,
  apiPort: number,
  imageSets: ImageSet[],
  apiHost: string,
) {
  const base = `https://${apiHost}:${apiPort}`;
  return {
    endpoint: base,
    region: config.region,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    identityPoolId: DEMO_IDENTITY_POOL_ID,
    cognitoEndpoint: `${base}/cognito-identity`,
    imageSets: imageSets
      .filter((s) => s.demo !== false)
      .map((s) => ({
        name: s.name,
        description: s.description,
        datastoreId: s.datastoreId,
        imageSetId: s.imageSetId,
        frames: s.frames.size,
        manifest: `${base}/demo/${s.name}/manifest.json`,
      })),
  };
}

export interface LocalAhi {
  api: AhiServer;
  app?: AppServer;
  imageSets: ImageSet[];
  config: ServerConfig;
  close(): Promise<void>;
}

export async function startLocalAhi(
  config: ServerConfig,
  log: (line: string) => void = () => {},
): Promise<LocalAhi> {
  const tls = loadOrCreateCertificate(config.cacheDir);
  if (tls.created) log(`made a self-signed certificate in ${config.cacheDir}/tls`);
  const imageSets = await loadDataset({
    syntheticSlices: config.syntheticSlices,
    syntheticLong: config.syntheticLong,
    jpegSeries: config.jpegSeries,
    ...(config.bigCohort ? { bigCohort: config.bigCohort } : {}),
    cacheDir: config.cacheDir,
    log,
  });
  const api = await startAhiServer({
    host: config.host,
    port: config.port,
    region: config.region,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    knobs: config.knobs,
    imageSets,
    tls,
  });
  let app: AppServer | undefined;
  if (config.appDir) {
    try {
      app = await startAppServer({
        host: config.host,
        port: config.appPort,
        dir: config.appDir,
        tls,
        // The API is addressed with the host name the page was loaded from, so one certificate
        // exception (per host name) covers both, and tests on 127.0.0.1 stay on 127.0.0.1.
        localConfig: (apiHost: string) => localConfig(config, api.port, imageSets, apiHost),
        connectOrigins: (apiHost: string) => [`https://${apiHost}:${api.port}`],
      });
    } catch (e) {
      await api.close();
      throw e;
    }
  }
  return {
    api,
    app,
    imageSets,
    config,
    close: async () => {
      await Promise.all([api.close(), app?.close()]);
    },
  };
}
