/**
 * `npm run retrieve -- …` and `npx ahi-web-retrieve …`: the runner's command line (runner/args.ts
 * says what it takes). Errors before the first frame (bad flags, manifests, region, endpoint,
 * credentials) print their one message and exit 2; see USAGE for the other exit codes.
 */
import { readFileSync } from 'node:fs';
import { RetrieveError } from '../src/core/errors';
import { parseRunArgs, USAGE } from './args';
import { Http2Fetch } from './platform/http2Fetch';
import { ProgressReporter } from './progress';
import { EXIT, run } from './run';

// `npm run retrieve` runs in the package's folder: paths on the command line are the user's, from
// where they typed it.
if (process.env['npm_lifecycle_event'] === 'retrieve' && process.env['INIT_CWD'])
  process.chdir(process.env['INIT_CWD']);

// The main thread's own requests (metadata documents) go over HTTP/2 too.
const http = new Http2Fetch({ streamsPerConnection: 20 });
globalThis.fetch = http.fetch;

const BAD_INPUT = new Set(['BadInput', 'BadManifest', 'Validation', 'NotFound', 'AccessDenied']);

async function main(): Promise<number> {
  let options;
  try {
    options = parseRunArgs(process.argv.slice(2), process.env);
  } catch (e) {
    console.error(`ahi-web-retrieve: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (options === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`ahi-web-retrieve ${pkg.version} (Node ${process.versions.node})\n`);
    return EXIT.ok;
  }
  const progress = options.progress === 'line' && !process.stderr.isTTY ? 'line' : options.progress;
  try {
    return await run(options, new ProgressReporter(progress));
  } catch (e) {
    console.error(`ahi-web-retrieve: ${(e as Error).message}`);
    return e instanceof RetrieveError && BAD_INPUT.has(e.code) ? EXIT.badInput : EXIT.stopped;
  } finally {
    http.close();
  }
}

process.exitCode = await main();
