/**
 * `npm run server` (API only) and `npm start` (API + built app): prints where to go, which
 * credentials to use and the demo IDs; prints a one-line summary of the traffic on exit.
 */
import { datastoresOf } from './datastores';
import { startLocalAhi } from './index';
import { parseConfig, USAGE } from './knobs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

try {
  const t0 = performance.now();
  const config = parseConfig(process.argv.slice(2), process.env);
  const local = await startLocalAhi(config, (line) => console.log(line));
  const active = Object.entries(local.api.knobs()).filter(
    ([k, v]) => v !== 0 && !(k === 'seed' && v === 1),
  );
  console.log(`
Local AHI server ready in ${((performance.now() - t0) / 1000).toFixed(1)} s
  API endpoint     ${local.api.url}   (HTTP/2 over TLS, self-signed certificate)
  region           ${config.region}
  access key ID    ${config.accessKeyId}
  secret key       ${config.secretAccessKey}${config.sessionToken ? `\n  session token    ${config.sessionToken}` : ''}
${datastoresOf(local.imageSets)
  .map(
    (d) =>
      `  datastore        ${d.datastoreId}  ${d.datastoreName} (${d.losslessStorageFormat}): ${local.imageSets.filter((s) => s.datastoreId === d.datastoreId).length} image sets`,
  )
  .join('\n')}
${local.imageSets
  .filter((s) => s.demo !== false)
  .map(
    (s) =>
      `  image set        ${s.imageSetId}  ${s.name}: ${s.frames.size} frames  (manifest: ${local.api.url}/demo/${s.name}/manifest.json)`,
  )
  .join('\n')}
  counters         ${local.api.url}/__ahi/stats
  fault knobs      ${active.length ? active.map(([k, v]) => `${k}=${v}`).join(' ') : 'none'}`);
  if (local.app) {
    console.log(`
  ▶ Open ${local.app.url}
    Your browser will warn about the self-signed certificate once: accept it to continue.
    If the app then cannot reach the API, open ${local.api.url.replace('127.0.0.1', 'localhost')}/demo/ once and accept it too.`);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${local.api.summary()}`);
    void local.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  console.error(`ahi-server: ${(e as Error).message}`);
  process.exit(1);
}
