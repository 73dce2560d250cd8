/**
 * The runner's command line: ahi-retrieve's flags where they mean the same (so a script written
 * for it runs unchanged), and ours besides. Parsing only: every mistake is a BadInput with the
 * flag's name and what to type instead, before anything is read or fetched.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { RetrieveError } from '../src/core/errors';
import { parseShard, shardFromEnvironment, type Shard } from '../src/core/shard';
import { DEFAULT_DICOM_TEMPLATE, parseTemplate } from '../src/core/pathTemplate';

/** What `--format` takes: ahi-retrieve's three, and the app's export formats. */
export const FORMATS = ['jph', 'raw', 'mem', 'dicom', 'dicom-explicit', 'nifti', 'nifti-nii'];

export interface RunOptions {
  inputs: string[];
  /** ahi-retrieve's jph, raw or mem; or an export format's ID ('dicom', 'nifti', …) */
  format: string;
  region: string;
  /** empty: AWS's runtime endpoint for the region */
  endpoint: string;
  /** keys given on the command line or in the environment; none: the AWS credential chain */
  keys?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  out: string;
  /** DICOM's folder template */
  layout?: string;
  verify: boolean;
  shard: Shard;
  workers: number;
  /** where the in-flight limit starts (auto-tuned) or stays (`--no-auto-tune`) */
  inFlight: number;
  autoTune: boolean;
  streamsPerConnection: number;
  progress: 'line' | 'json' | 'none';
  progressMs: number;
  logLevel: string;
  /** where the frames that failed are listed, as a manifest a later run takes with -i */
  failedFile?: string;
}

export const USAGE = `Usage: npm run retrieve -- -i MANIFEST [-i MANIFEST …] [options]
       npx ahi-web-retrieve -i MANIFEST [options]

Downloads the image frames the manifests (ahi-retrieve manifests or AHI metadata documents) list,
verifies each against AHI's CRC-32 and writes them to --out. A second run with the same command
fetches only what is missing or not intact there.

ahi-retrieve's flags:
  -i, --input FILE            a manifest (repeat for several)
  -f, --format FORMAT         jph, raw (default) or mem as ahi-retrieve writes them; or dicom
                              (as stored), dicom-explicit (Explicit VR Little Endian), nifti
                              (.nii.gz) or nifti-nii (.nii), as the app's exports write them
  -r, --region REGION         AWS region (default: AWS_REGION, AWS_DEFAULT_REGION)
  -e, --endpoint URL          any https:// endpoint (default: AWS_HEALTH_IMAGING_ENDPOINT, else
                              AHI's runtime endpoint for the region)
  -a, --awsAccessKeyId ID     keys (default: AWS_ACCESS_KEY_ID …; without any, the AWS credential
  -s, --awsSecretAccessKey K  chain: environment, ~/.aws profiles and SSO, container and instance
  -o, --awsSessionToken T     roles), temporary credentials refreshed before they expire
  -c, --downloadThreads N     ahi-retrieve's concurrency: c × x × m requests in flight is where
  -x, --numConnectionsPerThread N   the auto-tuned limit starts; m is also the number of
  -m, --maxConcurrentRequestsPerConnection N   requests per HTTP/2 connection
  -d, --decodeThreads N       threads that fetch, decode and verify (as --workers)
  -t, --sleepTime MS          progress every MS (default 1000)
  -l, --loglevel LEVEL        OFF, FATAL, ERROR (default: errors only), INFO (each retry),
                              DEBUG, TRACE (each frame)
  -h, --help                  this text
  -v, --version               the version

Ours:
  --out DIR                   where frames go (default: the current folder)
  --layout TEMPLATE           DICOM's folder template (default
                              ${DEFAULT_DICOM_TEMPLATE})
  --no-verify                 keep codestreams without decoding them to check their CRC-32
  --shard K/N                 fetch only part K of N (by image set, then by frame)
  --shards N                  with AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX: N parts
  --workers N                 retrieval threads (default: one per core)
  --in-flight N               requests in flight to start from (default 20)
  --no-auto-tune              keep --in-flight fixed instead of tuning it to the throughput
  --progress line|json|none   a live line (default on a terminal), JSON lines, or nothing
  --failed FILE               where failed frames are listed (default: in --out)

Exit code: 0 when every frame is stored and verified (or, by its syntax, not verifiable); 1 when
some failed (listed in the failed-frames file, which -i takes); 2 for bad input; 3 when the run
stopped (disk full, credentials refused): run it again to resume.`;

const positive = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RetrieveError('BadInput', `${flag} "${value}" should be a whole number, 1 or more.`);
  return n;
};

/** Reads the command line (and the environment's AWS variables). */
export function parseRunArgs(
  argv: string[],
  environment: Record<string, string | undefined>,
): RunOptions | 'help' | 'version' {
  // A variable set to nothing is not set (as the AWS SDKs read them).
  const env = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== ''));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        input: { type: 'string', short: 'i', multiple: true },
        format: { type: 'string', short: 'f' },
        region: { type: 'string', short: 'r' },
        endpoint: { type: 'string', short: 'e' },
        awsAccessKeyId: { type: 'string', short: 'a' },
        awsSecretAccessKey: { type: 'string', short: 's' },
        awsSessionToken: { type: 'string', short: 'o' },
        downloadThreads: { type: 'string', short: 'c' },
        numConnectionsPerThread: { type: 'string', short: 'x' },
        maxConcurrentRequestsPerConnection: { type: 'string', short: 'm' },
        decodeThreads: { type: 'string', short: 'd' },
        sleepTime: { type: 'string', short: 't' },
        loglevel: { type: 'string', short: 'l' },
        loops: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        out: { type: 'string' },
        layout: { type: 'string' },
        'no-verify': { type: 'boolean' },
        shard: { type: 'string' },
        shards: { type: 'string' },
        workers: { type: 'string' },
        'in-flight': { type: 'string' },
        'no-auto-tune': { type: 'boolean' },
        progress: { type: 'string' },
        failed: { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new RetrieveError('BadInput', `${(e as Error).message} (see --help).`);
  }
  if (parsed.help) return 'help';
  if (parsed.version) return 'version';
  const inputs = parsed.input ?? [];
  if (inputs.length === 0)
    throw new RetrieveError(
      'BadInput',
      'Give at least one manifest with -i FILE (an ahi-retrieve manifest or an AHI metadata document).',
    );
  const format = parsed.format ?? 'raw';
  if (!FORMATS.includes(format))
    throw new RetrieveError(
      'BadInput',
      `--format "${format}" is not one we write: choose ${FORMATS.join(', ')}.`,
    );
  if (parsed.layout !== undefined && !format.startsWith('dicom'))
    throw new RetrieveError(
      'BadInput',
      '--layout is the folder template of DICOM files: use it with --format dicom or dicom-explicit.',
    );
  // A template with an unknown field or `..` is refused here, with the app's message.
  if (parsed.layout !== undefined) parseTemplate(parsed.layout);
  if (parsed.loops !== undefined && parsed.loops !== '1')
    throw new RetrieveError(
      'BadInput',
      '-p/--loops is not supported: a second run fetches only what is missing; npm run bench measures repeated runs.',
    );
  const region = (parsed.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? '').trim();
  if (!region)
    throw new RetrieveError(
      'BadInput',
      'Say which AWS region with -r REGION (or set AWS_REGION), e.g. -r us-east-1.',
    );
  const accessKeyId = parsed.awsAccessKeyId ?? env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = parsed.awsSecretAccessKey ?? env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = parsed.awsSessionToken ?? env['AWS_SESSION_TOKEN'];
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new RetrieveError(
      'BadInput',
      accessKeyId === undefined
        ? 'A secret access key was given without its access key ID (-a or AWS_ACCESS_KEY_ID).'
        : 'An access key ID was given without its secret access key (-s or AWS_SECRET_ACCESS_KEY).',
    );
  const shards = positive(parsed.shards, '--shards');
  const shard = parsed.shard
    ? parseShard(parsed.shard)
    : (shardFromEnvironment(env, shards) ?? { index: 1, count: 1 });
  const c = positive(parsed.downloadThreads, '-c/--downloadThreads');
  const x = positive(parsed.numConnectionsPerThread, '-x/--numConnectionsPerThread');
  const m = positive(
    parsed.maxConcurrentRequestsPerConnection,
    '-m/--maxConcurrentRequestsPerConnection',
  );
  const knobs = c !== undefined || x !== undefined || m !== undefined;
  // ahi-retrieve's defaults are 16, 1 and 10: with any of its knobs given, the others default so.
  const inFlight =
    positive(parsed['in-flight'], '--in-flight') ?? (knobs ? (c ?? 16) * (x ?? 1) * (m ?? 10) : 20);
  const progress = parsed.progress ?? 'line';
  if (progress !== 'line' && progress !== 'json' && progress !== 'none')
    throw new RetrieveError('BadInput', `--progress "${progress}": choose line, json or none.`);
  const logLevel = (parsed.loglevel ?? 'ERROR').toUpperCase();
  if (!['OFF', 'FATAL', 'ERROR', 'INFO', 'DEBUG', 'TRACE'].includes(logLevel))
    throw new RetrieveError(
      'BadInput',
      `-l/--loglevel "${parsed.loglevel}": choose OFF, FATAL, ERROR, INFO, DEBUG or TRACE.`,
    );
  return {
    inputs,
    format,
    region,
    endpoint: (parsed.endpoint ?? env['AWS_HEALTH_IMAGING_ENDPOINT'] ?? '').trim(),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? {
          keys: {
            accessKeyId,
            secretAccessKey,
            ...(sessionToken ? { sessionToken } : {}),
          },
        }
      : {}),
    out: parsed.out ?? '.',
    ...(parsed.layout !== undefined ? { layout: parsed.layout } : {}),
    verify: !parsed['no-verify'],
    shard,
    workers:
      positive(parsed.workers, '--workers') ??
      positive(parsed.decodeThreads, '-d/--decodeThreads') ??
      Math.max(1, availableParallelism()),
    inFlight,
    autoTune: !parsed['no-auto-tune'],
    streamsPerConnection: m ?? 20,
    progress,
    progressMs: positive(parsed.sleepTime, '-t/--sleepTime') ?? 1000,
    logLevel,
    ...(parsed.failed !== undefined ? { failedFile: parsed.failed } : {}),
  };
}
