/**
 * The runner's command line: ahi-retrieve's flags where they mean the same (so a script written
 * for it runs unchanged), and ours besides. Parsing only: every mistake is a BadInput with the
 * flag's name and what to type instead, before anything is read or fetched.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { RetrieveError } from '../src/core/errors';
import { parseShard, shardFromEnvironment, type Shard } from '../src/core/shard';
import { AHI_ID_RE } from '../src/core/ids';
import { DEFAULT_DICOM_TEMPLATE, parseTemplate } from '../src/core/pathTemplate';
import {
  buildCriteria,
  checkDatastoreId,
  MAX_FILTERS,
  SEARCH_FIELDS,
  type FilterInput,
  type SearchField,
} from '../src/core/search';

/** What `--format` takes: ahi-retrieve's three, and the app's export formats. */
export const FORMATS = ['jph', 'raw', 'mem', 'dicom', 'dicom-explicit', 'nifti', 'nifti-nii'];

/** Image sets of a datastore as the job's source: those a search finds, or those named. */
export interface DatastoreSource {
  datastoreId: string;
  /** named with --image-set: no search */
  imageSets: string[];
  /** --filter: SearchImageSets' filters (none: every image set) */
  filters: FilterInput[];
}

export interface RunOptions {
  /** -i: manifest files or folders of them */
  inputs: string[];
  /** --datastore: its image sets, each one's metadata document its manifest */
  datastore?: DatastoreSource;
  /** --save-manifests: write the datastore's documents here and fetch no frame */
  saveManifests?: string;
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
  /** --mountpoint: write --out as Mountpoint for Amazon S3 allows (found by itself otherwise) */
  mountpoint: boolean;
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

A datastore instead of manifests (or besides them):
  --datastore ID              every image set in the datastore, found with SearchImageSets; each
                              one's metadata document is its manifest
  --filter FIELD=VALUE        only the image sets a search filter matches (at most 2; FROM..TO
                              for a range): PatientId, AccessionNumber, StudyId,
                              StudyInstanceUID, SeriesInstanceUID, StudyDate (YYYY-MM-DD),
                              createdAt and updatedAt (dates, a day or FROM..TO), isPrimary
                              (true or false)
  --image-set ID              only this image set of the datastore (repeat for several)
  --save-manifests DIR        write the documents found to DIR (gzip JSON) and fetch no frame:
                              the shards of a batch job then take -i DIR

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
  --mountpoint                --out renames and appends nothing, as Mountpoint for Amazon S3
                              (found by itself on a mountpoint-s3 mount): each file written once
                              in place, the journal in segments; mount with --allow-overwrite
                              and --allow-delete

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
        datastore: { type: 'string' },
        filter: { type: 'string', multiple: true },
        'image-set': { type: 'string', multiple: true },
        'save-manifests': { type: 'string' },
        mountpoint: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    throw new RetrieveError('BadInput', `${(e as Error).message} (see --help).`);
  }
  if (parsed.help) return 'help';
  if (parsed.version) return 'version';
  const inputs = parsed.input ?? [];
  const datastore = datastoreSource(parsed.datastore, parsed['image-set'], parsed.filter);
  if (inputs.length === 0 && !datastore)
    throw new RetrieveError(
      'BadInput',
      'Give at least one manifest with -i FILE (an ahi-retrieve manifest or an AHI metadata document), or a datastore with --datastore ID.',
    );
  const saveManifests = parsed['save-manifests'];
  if (saveManifests !== undefined && (!datastore || inputs.length > 0))
    throw new RetrieveError(
      'BadInput',
      datastore
        ? '--save-manifests writes the documents of --datastore: leave out -i (those manifests are files already).'
        : "--save-manifests writes the metadata documents of a datastore's image sets: give it with --datastore ID.",
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
  if (datastore && shard.count > 1)
    throw new RetrieveError(
      'BadInput',
      saveManifests !== undefined
        ? '--save-manifests runs once for the whole job, not in shards: run it without --shard, --shards or a batch index, then give every shard -i with its folder.'
        : `--datastore with shard ${shard.index} of ${shard.count}: every shard would search the datastore itself, and a datastore that changes between their searches splits differently. Search once with --datastore ID --save-manifests DIR, then give every shard -i DIR.`,
    );
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
    ...(datastore ? { datastore } : {}),
    ...(saveManifests !== undefined ? { saveManifests } : {}),
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
    mountpoint: parsed.mountpoint === true,
  };
}

/** What --filter's field may be called: AHI's name, without its DICOM prefix, or its label. */
const FIELD_NAMES = new Map<string, SearchField>(
  (Object.keys(SEARCH_FIELDS) as SearchField[]).flatMap((field) =>
    [field, field.replace(/^DICOM/, ''), SEARCH_FIELDS[field].label.replace(/\s+/g, '')].map(
      (name) => [name.toLowerCase(), field] as const,
    ),
  ),
);
FIELD_NAMES.set('studydate', 'DICOMStudyDateAndTime');

/**
 * One --filter: `FIELD=VALUE`, or `FIELD=FROM..TO` for a range (BETWEEN). A field that AHI
 * searches only by range (createdAt, updatedAt) takes a single day as that day's range.
 */
export function parseFilter(text: string): FilterInput {
  const at = text.indexOf('=');
  const name = at < 0 ? '' : text.slice(0, at).trim();
  const field = FIELD_NAMES.get(name.toLowerCase());
  if (!field)
    throw new RetrieveError(
      'BadInput',
      at < 0
        ? `--filter "${text}" should be FIELD=VALUE (or FIELD=FROM..TO), e.g. PatientId=P0042.`
        : `--filter "${text}": "${name}" is not a field AHI searches by; choose PatientId, AccessionNumber, StudyId, StudyInstanceUID, SeriesInstanceUID, StudyDate, createdAt, updatedAt or isPrimary.`,
    );
  const raw = text.slice(at + 1).trim();
  const range = SEARCH_FIELDS[field].kind === 'date' ? raw.split('..') : [raw];
  if (range.length > 2)
    throw new RetrieveError('BadInput', `--filter "${text}": a range is FROM..TO, once.`);
  const [from, to] = range.length === 2 ? range : [raw, raw];
  const between = range.length === 2 || !SEARCH_FIELDS[field].operators.includes('EQUAL');
  return {
    field,
    operator: between ? 'BETWEEN' : 'EQUAL',
    value: from!.trim(),
    upper: between ? to!.trim() : '',
  };
}

/** --datastore with its --image-set or --filter flags, checked as the app checks a search. */
function datastoreSource(
  id: string | undefined,
  imageSets: string[] | undefined,
  filterTexts: string[] | undefined,
): DatastoreSource | undefined {
  if (id === undefined) {
    if (imageSets?.length || filterTexts?.length)
      throw new RetrieveError(
        'BadInput',
        `${imageSets?.length ? '--image-set' : '--filter'} chooses image sets of a datastore: say which with --datastore ID.`,
      );
    return undefined;
  }
  const datastoreId = checkDatastoreId(id);
  if (imageSets?.length && filterTexts?.length)
    throw new RetrieveError(
      'BadInput',
      '--image-set names the image sets, --filter searches for them: give one or the other.',
    );
  const bad = imageSets?.find((s) => !AHI_ID_RE.test(s.trim()));
  if (bad !== undefined)
    throw new RetrieveError(
      'BadInput',
      `--image-set "${bad}": an image set ID is 32 lowercase letters or digits.`,
    );
  if ((filterTexts?.length ?? 0) > MAX_FILTERS)
    throw new RetrieveError(
      'BadInput',
      `AHI searches with at most ${MAX_FILTERS} filters: give --filter at most twice.`,
    );
  const filters = (filterTexts ?? []).map(parseFilter);
  // The search as it will be sent, checked now: a bad value is refused before any request.
  buildCriteria({ datastoreId, filters, sortField: 'createdAt', sortOrder: 'ASC', pageSize: 50 });
  return { datastoreId, imageSets: [...new Set((imageSets ?? []).map((s) => s.trim()))], filters };
}
