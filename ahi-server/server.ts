/**
 * A local AWS HealthImaging: HTTPS + HTTP/2 (HTTP/1.1 allowed, as AWS does), SigV4 verified, CORS
 * as a browser needs it, AHI's error shapes, and fault knobs that stand in for a real line and a
 * misbehaving service. Counters at GET /__ahi/stats let tests see what the browser really did
 * (how many sessions, streams and retries), which a page cannot observe itself.
 */
import http2, {
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { gzip, gzipSync } from 'node:zlib';
import { DATASTORE_ID, toManifest, type ImageSet } from './dataset';
import { DEFAULT_KNOBS, parseKnobs, type Knobs } from './knobs';
import { mulberry32 } from '../src/core/random';
import { AuthError, mintCredentials, verifySigV4, type AuthConfig } from './sigv4';

export interface AhiServerOptions {
  host: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  knobs?: Partial<Knobs>;
  imageSets: ImageSet[];
  tls: { key: Buffer; cert: Buffer };
}

export interface Stats {
  startedAt: string;
  /** AWS API requests (preflights and the local /demo and /__ahi paths are counted apart) */
  requests: number;
  preflights: number;
  localRequests: number;
  cognitoRequests: number;
  /** temporary credentials handed out (Cognito stand-in and /demo/credentials) */
  credentialsIssued: number;
  byOperation: Record<string, number>;
  byStatus: Record<string, number>;
  errorsByType: Record<string, number>;
  /** body bytes sent for GetImageFrame */
  frameBytes: number;
  bytesSent: number;
  tlsConnections: number;
  http2Sessions: number;
  http1Requests: number;
  currentStreams: number;
  peakStreams: number;
  peakStreamsPerSession: number;
  resets: number;
  corrupted: number;
  /** frame IDs served with 200, counted per ID: lets tests check nothing was fetched twice */
  framesServed: number;
  distinctFramesServed: number;
}

export interface AhiServer {
  url: string;
  port: number;
  stats(): Stats;
  resetStats(): void;
  knobs(): Knobs;
  setKnobs(update: Record<string, unknown>): Knobs;
  summary(): string;
  close(): Promise<void>;
}

const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-target',
];

/** The identity pool the local Cognito stand-in knows. */
export const DEMO_IDENTITY_POOL_ID = 'us-east-1:00000000-0000-4000-8000-00000000a41e';
const EXPOSED_HEADERS = [
  'x-amzn-requestid',
  'x-amzn-errortype',
  'content-length',
  'content-type',
  'retry-after',
];
const ID_RE = /^[0-9a-z]{32}$/;
const MAX_BODY = 64 * 1024;

/** AHI's ValidationException for an ID that is not 32 characters of [0-9a-z]. */
function badId(member: string, value: unknown): AhiError {
  return new AhiError(
    400,
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-z]{32}`,
  );
}

class AhiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fair FIFO bandwidth shaping for one connection: each chunk waits for its slot on the line. */
class Shaper {
  private nextFree = 0;
  constructor(private bytesPerMs: number) {}
  async take(bytes: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + bytes / this.bytesPerMs;
    const wait = this.nextFree - now;
    if (wait >= 1) await sleep(wait);
  }
}

/** Token bucket for the throttling knob. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private rate: number,
    private burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freshStats(): Stats {
  return {
    startedAt: new Date().toISOString(),
    requests: 0,
    preflights: 0,
    localRequests: 0,
    cognitoRequests: 0,
    credentialsIssued: 0,
    byOperation: {},
    byStatus: {},
    errorsByType: {},
    frameBytes: 0,
    bytesSent: 0,
    tlsConnections: 0,
    http2Sessions: 0,
    http1Requests: 0,
    currentStreams: 0,
    peakStreams: 0,
    peakStreamsPerSession: 0,
    resets: 0,
    corrupted: 0,
    framesServed: 0,
    distinctFramesServed: 0,
  };
}

const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** Starts the server; rejects with a clear message when the port is taken. */
export async function startAhiServer(options: AhiServerOptions): Promise<AhiServer> {
  let knobs: Knobs = parseKnobs(options.knobs ?? {}, DEFAULT_KNOBS);
  let stats = freshStats();
  let served = new Map<string, number>();
  let dice = mulberry32(knobs.seed);
  let bucket: TokenBucket | undefined;
  let metadataConflictsLeft = knobs.metadataConflicts;
  const startedAt = Date.now();
  const auth: AuthConfig = {
    region: options.region,
    credentials: {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    mintKey: `${options.secretAccessKey}:${startedAt}`,
    startedAt,
  };
  const applyKnobs = () => {
    dice = mulberry32(knobs.seed);
    bucket =
      knobs.throttleRps > 0
        ? new TokenBucket(knobs.throttleRps, knobs.throttleBurst || knobs.throttleRps)
        : undefined;
    metadataConflictsLeft = knobs.metadataConflicts;
    auth.credentialsTtlSeconds =
      knobs.credentialsTtlSeconds > 0 ? knobs.credentialsTtlSeconds : undefined;
  };
  applyKnobs();

  const sets = new Map(options.imageSets.map((s) => [s.imageSetId, s]));
  const gzippedMetadata = new Map<string, Buffer>();
  // Each document is compressed once, ahead of its first request and off the event loop: done on
  // demand, a 2,000-frame document held every other answer back 30-50 ms.
  for (const s of sets.values())
    gzip(JSON.stringify(s.metadata), (error, gz) => {
      if (!error && !gzippedMetadata.has(s.imageSetId)) gzippedMetadata.set(s.imageSetId, gz);
    });
  const shapers = new WeakMap<object, Shaper>();
  const sessionStreams = new WeakMap<object, number>();

  const server = http2.createSecureServer({
    key: options.tls.key,
    cert: options.tls.cert,
    allowHTTP1: true,
    settings: knobs.maxStreams > 0 ? { maxConcurrentStreams: knobs.maxStreams } : {},
  });
  server.on('secureConnection', () => stats.tlsConnections++);
  server.on('session', (session: ServerHttp2Session) => {
    stats.http2Sessions++;
    if (knobs.maxStreams > 0) session.settings({ maxConcurrentStreams: knobs.maxStreams });
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      const n = (sessionStreams.get(session) ?? 0) + 1;
      sessionStreams.set(session, n);
      stats.peakStreamsPerSession = Math.max(stats.peakStreamsPerSession, n);
      stream.once('close', () =>
        sessionStreams.set(session, (sessionStreams.get(session) ?? 1) - 1),
      );
    });
  });

  const connectionKey = (req: Http2ServerRequest): object =>
    (req.stream?.session as object | undefined) ?? req.socket;

  function cors(req: Http2ServerRequest, res: Http2ServerResponse) {
    const origin = req.headers.origin;
    res.setHeader('access-control-allow-origin', typeof origin === 'string' ? origin : '*');
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
  }

  function sendJson(
    res: Http2ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
    /** false for the local paths, which stay out of the API counters */
    api = true,
  ) {
    const text = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(text.length),
      ...extra,
    });
    res.end(text);
    if (!api) return;
    bump(stats.byStatus, String(status));
    stats.bytesSent += text.length;
  }

  function sendError(res: Http2ServerResponse, err: AhiError | AuthError) {
    const status = err.status;
    bump(stats.errorsByType, err.errorType);
    sendJson(
      res,
      status,
      { message: err.message },
      { 'x-amzn-errortype': err.errorType, 'x-amzn-requestid': crypto.randomUUID() },
    );
  }

  async function readBody(req: Http2ServerRequest): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) throw new AhiError(413, 'ValidationException', 'Request body too large');
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  function findSet(datastoreId: string, imageSetId?: string): ImageSet | undefined {
    if (!ID_RE.test(datastoreId)) throw badId('datastoreId', datastoreId);
    if (datastoreId !== DATASTORE_ID)
      throw new AhiError(404, 'ResourceNotFoundException', `Datastore ${datastoreId} not found`);
    if (imageSetId === undefined) return undefined;
    if (!ID_RE.test(imageSetId)) throw badId('imageSetId', imageSetId);
    const set = sets.get(imageSetId);
    if (!set)
      throw new AhiError(
        404,
        'ResourceNotFoundException',
        `ImageSet ${imageSetId} not found in datastore ${datastoreId}`,
      );
    return set;
  }

  async function delay() {
    if (knobs.latencyMs <= 0 && knobs.jitterMs <= 0) return;
    const ms = Math.max(0, knobs.latencyMs + (dice() * 2 - 1) * knobs.jitterMs);
    if (ms > 0) await sleep(ms);
  }

  async function sendFrame(
    req: Http2ServerRequest,
    res: Http2ServerResponse,
    id: string,
    bytes: Uint8Array,
    contentType: string,
  ) {
    let body = bytes;
    if (knobs.corruptRate > 0 && dice() < knobs.corruptRate) {
      body = Uint8Array.from(bytes);
      // Flip bytes well inside the coded data so the codestream still parses but decodes wrong.
      for (let i = Math.floor(body.length / 2); i < body.length - 2; i += 997) body[i]! ^= 0x5a;
      stats.corrupted++;
    }
    const reset = knobs.resetRate > 0 && dice() < knobs.resetRate;
    res.writeHead(200, {
      'content-type': contentType,
      'content-length': String(body.length),
      'x-amzn-requestid': crypto.randomUUID(),
    });
    bump(stats.byStatus, '200');
    const limit = reset ? Math.floor(body.length / 2) : body.length;
    const shaper = knobs.bandwidthMbps > 0 ? shaperFor(req) : undefined;
    if (!shaper && !reset) {
      res.end(body);
    } else {
      const chunk = 16 * 1024;
      for (let off = 0; off < limit; off += chunk) {
        const piece = body.subarray(off, Math.min(limit, off + chunk));
        if (shaper) await shaper.take(piece.length);
        if (res.destroyed || res.writableEnded) return;
        if (!res.write(piece)) await new Promise<void>((r) => res.once('drain', r));
      }
      if (reset) {
        stats.resets++;
        if (req.stream) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else req.socket.destroy();
        stats.bytesSent += limit;
        return;
      }
      res.end();
    }
    stats.bytesSent += body.length;
    stats.frameBytes += body.length;
    stats.framesServed++;
    const count = (served.get(id) ?? 0) + 1;
    served.set(id, count);
    if (count === 1) stats.distinctFramesServed++;
  }

  function shaperFor(req: Http2ServerRequest): Shaper {
    const key = connectionKey(req);
    let s = shapers.get(key);
    if (!s) {
      s = new Shaper((knobs.bandwidthMbps * 1e6) / 8 / 1000);
      shapers.set(key, s);
    }
    return s;
  }

  function demoIndex(host: string) {
    return {
      region: options.region,
      endpoint: `https://${host}`,
      imageSets: [...sets.values()].map((s) => ({
        name: s.name,
        description: s.description,
        datastoreId: s.datastoreId,
        imageSetId: s.imageSetId,
        frames: s.frames.size,
        bytes: [...s.frames.values()].reduce((n, f) => n + f.bytes.length, 0),
        manifest: `/demo/${s.name}/manifest.json`,
      })),
    };
  }

  async function handleCognito(req: Http2ServerRequest, res: Http2ServerResponse) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const fail = (status: number, type: string, message: string) =>
      sendJson(
        res,
        status,
        { __type: type, message },
        { 'x-amzn-errortype': type, 'content-type': 'application/x-amz-json-1.1' },
        false,
      );
    let body: { IdentityPoolId?: string; IdentityId?: string };
    try {
      body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as typeof body;
    } catch {
      return fail(400, 'SerializationException', 'Request body is not JSON');
    }
    if (target === 'AWSCognitoIdentityService.GetId') {
      if (body.IdentityPoolId !== DEMO_IDENTITY_POOL_ID) {
        return fail(
          400,
          'ResourceNotFoundException',
          `IdentityPool '${String(body.IdentityPoolId)}' not found.`,
        );
      }
      return sendJson(
        res,
        200,
        { IdentityId: `us-east-1:${crypto.randomUUID()}` },
        { 'content-type': 'application/x-amz-json-1.1' },
        false,
      );
    }
    if (target === 'AWSCognitoIdentityService.GetCredentialsForIdentity') {
      if (!body.IdentityId?.startsWith('us-east-1:'))
        return fail(400, 'ResourceNotFoundException', 'Identity not found.');
      const c = mintCredentials(auth, knobs.credentialsTtlSeconds || 3600);
      stats.credentialsIssued++;
      return sendJson(
        res,
        200,
        {
          IdentityId: body.IdentityId,
          Credentials: {
            AccessKeyId: c.accessKeyId,
            SecretKey: c.secretAccessKey,
            SessionToken: c.sessionToken,
            Expiration: c.expiration.getTime() / 1000,
          },
        },
        { 'content-type': 'application/x-amz-json-1.1' },
        false,
      );
    }
    return fail(400, 'UnknownOperationException', `Unknown operation ${target}`);
  }

  async function handle(req: Http2ServerRequest, res: Http2ServerResponse) {
    const url = new URL(req.url, 'https://local');
    const path = url.pathname;
    cors(req, res);
    if (req.method === 'OPTIONS') {
      stats.preflights++;
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
        'access-control-max-age': '7200',
      });
      res.end();
      return;
    }
    // Cognito Identity's two unauthenticated calls (GetId, GetCredentialsForIdentity), so the real
    // @aws-sdk/credential-provider-cognito-identity can run against this server.
    if (path === '/cognito-identity' || path === '/cognito-identity/') {
      stats.cognitoRequests++;
      return handleCognito(req, res);
    }

    // Non-AWS paths: the demo index and manifests, credentials for tests, counters and knobs.
    // They are counted apart, so the API counters show only what an AWS endpoint would see.
    if (path.startsWith('/__ahi/') || path.startsWith('/demo/') || path === '/demo') {
      stats.localRequests++;
      const host = String(req.headers[':authority'] ?? req.headers.host ?? 'localhost');
      if (req.method === 'GET' && path === '/__ahi/stats')
        return sendJson(res, 200, stats, {}, false);
      if (req.method === 'GET' && path === '/__ahi/knobs')
        return sendJson(res, 200, knobs, {}, false);
      const digests = /^\/__ahi\/digests\/([0-9a-z]{32})$/.exec(path);
      if (req.method === 'GET' && digests) {
        // SHA-256 of every stored frame, so tests can prove the client kept the exact bytes.
        const set = sets.get(digests[1]!);
        if (!set) return sendJson(res, 404, { message: 'no such image set' }, {}, false);
        const out: Record<string, string> = {};
        for (const [id, f] of set.frames)
          out[id] = createHash('sha256').update(f.bytes).digest('hex');
        return sendJson(res, 200, out, {}, false);
      }
      if (req.method === 'POST' && path === '/__ahi/reset') {
        stats = freshStats();
        served = new Map();
        return sendJson(res, 200, stats, {}, false);
      }
      if (req.method === 'POST' && path === '/__ahi/knobs') {
        try {
          const update = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<
            string,
            unknown
          >;
          knobs = parseKnobs(update, knobs);
          applyKnobs();
          return sendJson(res, 200, knobs, {}, false);
        } catch (e) {
          return sendJson(res, 400, { message: (e as Error).message }, {}, false);
        }
      }
      if (req.method === 'POST' && path === '/demo/credentials') {
        const ttl = Number(
          url.searchParams.get('ttlSeconds') ?? (knobs.credentialsTtlSeconds || 3600),
        );
        const c = mintCredentials(auth, Number.isFinite(ttl) && ttl > 0 ? ttl : 3600);
        stats.credentialsIssued++;
        return sendJson(res, 200, { ...c, expiration: c.expiration.toISOString() }, {}, false);
      }
      if (req.method === 'GET' && (path === '/demo/' || path === '/demo'))
        return sendJson(res, 200, demoIndex(host), {}, false);
      const m = /^\/demo\/([a-z0-9-]+)\/(manifest|metadata)\.json$/.exec(path);
      const set = m ? [...sets.values()].find((s) => s.name === m[1]) : undefined;
      if (req.method === 'GET' && m && set)
        return sendJson(res, 200, m[2] === 'manifest' ? toManifest(set) : set.metadata, {}, false);
      return sendJson(res, 404, { message: `No demo resource at ${path}` }, {}, false);
    }

    stats.requests++;
    if (!req.stream) stats.http1Requests++;
    try {
      const route =
        /^\/datastore\/([^/]+)\/imageSet\/([^/]+)\/(getImageFrame|getImageSetMetadata|getImageSet)$/.exec(
          path,
        ) ?? /^\/datastore\/([^/]+)\/(searchImageSets)$/.exec(path);
      const operation = route ? (route.length === 4 ? route[3]! : route[2]!) : 'unknown';
      bump(stats.byOperation, operation);
      if (!route || req.method !== 'POST') {
        throw new AhiError(
          404,
          'UnknownOperationException',
          `Unknown operation ${req.method} ${path}`,
        );
      }
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !k.startsWith(':')) headers[k] = v;
      }
      headers['host'] = String(req.headers[':authority'] ?? req.headers.host ?? '');
      await verifySigV4(
        { method: req.method, path, query: Object.fromEntries(url.searchParams), headers, body },
        auth,
      );

      if (operation === 'getImageFrame') {
        const set = findSet(route[1]!, route[2])!;
        let frameId: unknown;
        try {
          frameId = (JSON.parse(body.toString('utf8')) as { imageFrameId?: unknown }).imageFrameId;
        } catch {
          throw new AhiError(
            400,
            'ValidationException',
            'Request body is not valid JSON: expected {"imageFrameId": "<32 characters>"}',
          );
        }
        if (typeof frameId !== 'string' || !ID_RE.test(frameId)) {
          throw badId('imageFrameInformation.imageFrameId', frameId);
        }
        if (bucket && !bucket.take())
          throw new AhiError(429, 'ThrottlingException', 'Rate exceeded');
        if (knobs.errorRate > 0 && dice() < knobs.errorRate) {
          throw new AhiError(
            503,
            'ServiceUnavailableException',
            'Service is unavailable, please try again later',
          );
        }
        const frame = set.frames.get(frameId);
        if (!frame)
          throw new AhiError(
            404,
            'ResourceNotFoundException',
            `ImageFrame ${frameId} not found in image set ${set.imageSetId}`,
          );
        await delay();
        await sendFrame(req, res, frameId, frame.bytes, frame.contentType);
        return;
      }
      if (operation === 'getImageSetMetadata') {
        const set = findSet(route[1]!, route[2])!;
        const version = url.searchParams.get('version');
        if (version !== null && version !== '1')
          throw new AhiError(
            404,
            'ResourceNotFoundException',
            `ImageSet ${set.imageSetId} version ${version} not found`,
          );
        if (metadataConflictsLeft > 0) {
          metadataConflictsLeft--;
          throw new AhiError(
            409,
            'ConflictException',
            `ImageSet ${set.imageSetId} is being updated; try again later`,
          );
        }
        let gz = gzippedMetadata.get(set.imageSetId);
        if (!gz) {
          gz = gzipSync(JSON.stringify(set.metadata));
          gzippedMetadata.set(set.imageSetId, gz);
        }
        await delay();
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(gz.length),
        });
        bump(stats.byStatus, '200');
        res.end(gz);
        stats.bytesSent += gz.length;
        return;
      }
      if (operation === 'getImageSet') {
        const set = findSet(route[1]!, route[2])!;
        return sendJson(res, 200, {
          datastoreId: set.datastoreId,
          imageSetId: set.imageSetId,
          versionId: '1',
          imageSetState: 'ACTIVE',
          imageSetWorkflowStatus: 'CREATED',
          createdAt: set.createdAt.getTime() / 1000,
          updatedAt: set.createdAt.getTime() / 1000,
          imageSetArn: `arn:aws:medical-imaging:${options.region}:000000000000:datastore/${set.datastoreId}/imageset/${set.imageSetId}`,
        });
      }
      // searchImageSets
      findSet(route[1]!);
      return sendJson(res, 200, {
        imageSetsMetadataSummaries: [...sets.values()].map((s) => {
          const study = s.metadata.Study.DICOM;
          return {
            imageSetId: s.imageSetId,
            version: 1,
            createdAt: s.createdAt.getTime() / 1000,
            updatedAt: s.createdAt.getTime() / 1000,
            DICOMTags: {
              DICOMPatientName: s.metadata.Patient.DICOM['PatientName'],
              DICOMPatientId: s.metadata.Patient.DICOM['PatientID'],
              DICOMStudyInstanceUID: study['StudyInstanceUID'],
              DICOMStudyDescription: study['StudyDescription'],
              DICOMNumberOfStudyRelatedSeries: Object.keys(s.metadata.Study.Series).length,
              DICOMNumberOfStudyRelatedInstances: s.frames.size,
            },
          };
        }),
      });
    } catch (e) {
      if (e instanceof AhiError || e instanceof AuthError) return sendError(res, e);
      console.error('ahi-server: internal error:', e);
      return sendError(res, new AhiError(500, 'InternalServerException', 'Internal server error'));
    }
  }

  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    stats.currentStreams++;
    stats.peakStreams = Math.max(stats.peakStreams, stats.currentStreams);
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      stats.currentStreams--;
    };
    res.on('finish', done);
    res.on('close', done);
    handle(req, res).catch((e: unknown) => {
      console.error('ahi-server: request failed:', e);
      if (!res.headersSent)
        sendError(res, new AhiError(500, 'InternalServerException', 'Internal server error'));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `port ${options.port} on ${options.host} is already in use (another ahi server?). Set AHI_PORT to a free port.`,
            )
          : e,
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (s: ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });

  return {
    url: `https://${host}:${port}`,
    port,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = freshStats();
      served = new Map();
    },
    knobs: () => ({ ...knobs }),
    setKnobs: (update) => {
      knobs = parseKnobs(update, knobs);
      applyKnobs();
      return { ...knobs };
    },
    summary: () =>
      `ahi-server: ${stats.requests} requests (${
        Object.entries(stats.byOperation)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }), ` +
      `${(stats.bytesSent / 1e6).toFixed(1)} MB sent, errors ${JSON.stringify(stats.errorsByType)}, ` +
      `${stats.tlsConnections} TLS connections, ${stats.http2Sessions} HTTP/2 sessions, peak ${stats.peakStreams} streams`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
