/**
 * The server's configuration and fault knobs, from command-line flags or environment variables
 * (a flag wins). Every fault knob is off by default; tests change them at run time through
 * POST /__ahi/knobs, so one server serves a whole test suite.
 */
import { parseBigCohort } from './sets/bigCohort';

export interface Knobs {
  /** added latency before each response head, ms */
  latencyMs: number;
  /** ± uniform jitter on the latency, ms */
  jitterMs: number;
  /** bandwidth cap per connection (shared by its streams), Mbit/s; 0 = none */
  bandwidthMbps: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS for new HTTP/2 connections; 0 = Node's default */
  maxStreams: number;
  /** GetImageFrame requests per second before 429 ThrottlingException; 0 = no throttling */
  throttleRps: number;
  /** token-bucket burst for throttling; 0 = equal to throttleRps */
  throttleBurst: number;
  /** fraction of GetImageFrame requests answered 503 ServiceUnavailableException */
  errorRate: number;
  /** fraction of GetImageFrame streams reset halfway through the body */
  resetRate: number;
  /** fraction of GetImageFrame bodies with bytes flipped (a checksum mismatch for the client) */
  corruptRate: number;
  /** number of GetImageSetMetadata calls answered 409 ConflictException before succeeding */
  metadataConflicts: number;
  /** SearchImageSets requests per second before 429 ThrottlingException (AHI's quota: 25); 0 = none */
  searchThrottleRps: number;
  /** 1: answer the control plane (ListDatastores, GetDatastore) without CORS headers, as AWS may */
  controlPlaneNoCors: number;
  /** seed for the fault dice */
  seed: number;
  /** credentials expire this many seconds after issue (the static pair: after server start); 0 = never */
  credentialsTtlSeconds: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** port for the app's static files (with --app); 0 = none */
  appPort: number;
  appDir?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  syntheticSlices: number;
  /** frames in the "synthetic-long" image set (the slices repeated under new IDs); 0 = none */
  syntheticLong: number;
  /** frames in the "jpeg-series" image set (one JPEG frame under new IDs); 0 = none */
  jpegSeries: number;
  /** the bench's big cohort: image sets × frames each (sets/bigCohort.ts); none by default */
  bigCohort?: { imageSets: number; frames: number };
  cacheDir: string;
  knobs: Knobs;
}

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  jitterMs: 0,
  bandwidthMbps: 0,
  maxStreams: 0,
  throttleRps: 0,
  throttleBurst: 0,
  errorRate: 0,
  resetRate: 0,
  corruptRate: 0,
  metadataConflicts: 0,
  searchThrottleRps: 0,
  controlPlaneNoCors: 0,
  seed: 1,
  credentialsTtlSeconds: 0,
};

/** AWS's documented example credentials: safe to print, useless anywhere but here. */
export const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

const KNOB_LIMITS: Record<keyof Knobs, [number, number]> = {
  latencyMs: [0, 60_000],
  jitterMs: [0, 60_000],
  bandwidthMbps: [0, 100_000],
  maxStreams: [0, 10_000],
  throttleRps: [0, 1_000_000],
  throttleBurst: [0, 1_000_000],
  errorRate: [0, 1],
  resetRate: [0, 1],
  corruptRate: [0, 1],
  metadataConflicts: [0, 1_000_000],
  searchThrottleRps: [0, 1_000_000],
  controlPlaneNoCors: [0, 1],
  seed: [0, 2 ** 32 - 1],
  credentialsTtlSeconds: [0, 10 * 365 * 86400],
};

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const env = (s: string) => `AHI_${kebab(s).replace(/-/g, '_').toUpperCase()}`;

/** Validates a partial knob update; throws with a message naming the knob and its range. */
export function parseKnobs(input: Record<string, unknown>, base: Knobs = DEFAULT_KNOBS): Knobs {
  const out: Knobs = { ...base };
  for (const [key, raw] of Object.entries(input)) {
    if (!(key in KNOB_LIMITS))
      throw new Error(`unknown knob '${key}' (known: ${Object.keys(KNOB_LIMITS).join(', ')})`);
    const name = key as keyof Knobs;
    const value = typeof raw === 'string' ? Number(raw) : raw;
    const [lo, hi] = KNOB_LIMITS[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
      throw new Error(
        `knob '${key}' must be a number from ${lo} to ${hi}, got ${JSON.stringify(raw)}`,
      );
    }
    out[name] = value;
  }
  return out;
}

export const USAGE = `Usage: npm run server -- [options]   (every option also reads from its environment variable)

  --port N                  AHI_PORT                   API port (default 8443)
  --host H                  AHI_HOST                   address to listen on (default 127.0.0.1)
  --app DIR                                            also serve the built app from DIR
  --app-port N              AHI_APP_PORT               port for the app (default API port + 1)
  --region R                AHI_REGION                 signing region (default us-east-1)
  --access-key-id K         AHI_ACCESS_KEY_ID          (default AKIDEXAMPLE)
  --secret-access-key S     AHI_SECRET_ACCESS_KEY      (default AWS's documented example secret)
  --session-token T         AHI_SESSION_TOKEN          require this token with the static pair
  --synthetic-slices N      AHI_SYNTHETIC_SLICES       slices in the synthetic CT series (default 2000)
  --synthetic-long N        AHI_SYNTHETIC_LONG         also serve "synthetic-long": N frames, the slices repeated under new IDs
  --jpeg-series N           AHI_JPEG_SERIES            also serve "jpeg-series": N frames of JPEG baseline (for the bench)
  --big-cohort SxF          AHI_BIG_COHORT             also serve a "big-cohort" datastore: S image sets of F frames (for the bench)
  --cache-dir D             AHI_CACHE_DIR              where encoded frames and the certificate live (default .cache)
Fault knobs (all off by default; change at run time with POST /__ahi/knobs):
${(Object.keys(DEFAULT_KNOBS) as (keyof Knobs)[])
  .map(
    (k) =>
      `  --${kebab(k).padEnd(24)}${env(k).padEnd(27)}${KNOB_LIMITS[k][0]}..${KNOB_LIMITS[k][1]}`,
  )
  .join('\n')}
`;

/** Reads the configuration from argv and the environment. */
export function parseConfig(argv: string[], environment: NodeJS.ProcessEnv): ServerConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'\n\n${USAGE}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new Error(`option ${arg} needs a value\n\n${USAGE}`);
      flags.set(arg.slice(2), next);
      i++;
    }
  }
  const take = (name: string): string | undefined => {
    const v = flags.get(kebab(name)) ?? environment[env(name)];
    flags.delete(kebab(name));
    return v === '' ? undefined : v;
  };
  const int = (name: string, fallback: number, lo: number, hi: number): number => {
    const raw = take(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new Error(`${kebab(name)} must be an integer from ${lo} to ${hi}, got '${raw}'`);
    return n;
  };
  const port = int('port', 8443, 0, 65535);
  const knobInput: Record<string, string> = {};
  for (const k of Object.keys(DEFAULT_KNOBS)) {
    const v = take(k);
    if (v !== undefined) knobInput[k] = v;
  }
  const sessionToken = take('sessionToken');
  const bigCohort = take('bigCohort');
  const config: ServerConfig = {
    host: take('host') ?? '127.0.0.1',
    port,
    appPort: int('appPort', port === 0 ? 0 : port + 1, 0, 65535),
    appDir: take('app'),
    region: take('region') ?? 'us-east-1',
    accessKeyId: take('accessKeyId') ?? EXAMPLE_CREDENTIALS.accessKeyId,
    secretAccessKey: take('secretAccessKey') ?? EXAMPLE_CREDENTIALS.secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    syntheticSlices: int('syntheticSlices', 2000, 1, 100_000),
    syntheticLong: int('syntheticLong', 0, 0, 1_000_000),
    jpegSeries: int('jpegSeries', 0, 0, 1_000_000),
    ...(bigCohort ? { bigCohort: parseBigCohort(bigCohort) } : {}),
    cacheDir: take('cacheDir') ?? '.cache',
    knobs: parseKnobs(knobInput),
  };
  if (flags.size > 0) throw new Error(`unknown option --${[...flags.keys()][0]}\n\n${USAGE}`);
  return config;
}
