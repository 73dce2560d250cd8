/**
 * A local AWS HealthImaging: HTTPS + HTTP/2 (HTTP/1.1 allowed, as AWS does), SigV4 verified, CORS
 * as a browser needs it, AHI's error shapes, and fault knobs that stand in for a real line and a
 * misbehaving service. This module owns the server and its connections and hands each request to
 * its route: routes/runtime.ts (AHI's API), routes/cognito.ts (the Cognito stand-in),
 * routes/controlPlane.ts (ListDatastores, GetDatastore), routes/local.ts (the demo and the test
 * hooks). Counters at GET /__ahi/stats let tests see what
 * the browser really did, which a page cannot observe itself.
 */
import http2, {
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gzip } from 'node:zlib';
import { sendError, type AhiServerOptions, type ServerContext } from './context';
import { datastoresOf } from './datastores';
import { Faults } from './faults';
import { AhiError, cors, preflight } from './http';
import { DEFAULT_KNOBS, parseKnobs, type Knobs } from './knobs';
import { handleCognito } from './routes/cognito';
import { handleControlPlane, isControlPlane, isControlPlanePath } from './routes/controlPlane';
import { handleLocal, isLocalPath } from './routes/local';
import { handleRuntime } from './routes/runtime';
import type { AuthConfig } from './sigv4';
import { Counters, type Stats } from './stats';

export type { AhiServerOptions } from './context';
export type { Stats } from './stats';
export { DEMO_IDENTITY_POOL_ID } from './routes/cognito';

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

/** Starts the server; rejects with a clear message when the port is taken. */
export async function startAhiServer(options: AhiServerOptions): Promise<AhiServer> {
  const counters = new Counters();
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
  let faults: Faults;
  const applyKnobs = (knobs: Knobs) => {
    faults = new Faults(knobs);
    auth.credentialsTtlSeconds =
      knobs.credentialsTtlSeconds > 0 ? knobs.credentialsTtlSeconds : undefined;
    return { ...knobs };
  };
  const initial = applyKnobs(parseKnobs(options.knobs ?? {}, DEFAULT_KNOBS));

  const sets = new Map(options.imageSets.map((s) => [s.imageSetId, s]));
  const gzippedMetadata = new Map<string, Buffer>();
  // Each document is compressed once, ahead of its first request and off the event loop: done on
  // demand, a 2,000-frame document held every other answer back 30-50 ms.
  for (const s of sets.values())
    gzip(JSON.stringify(s.metadata), (error, gz) => {
      if (!error && !gzippedMetadata.has(s.imageSetId)) gzippedMetadata.set(s.imageSetId, gz);
    });
  const ctx: ServerContext = {
    options,
    auth,
    sets,
    datastores: datastoresOf(sets.values()),
    counters,
    faults: () => faults,
    setKnobs: (update) => applyKnobs(parseKnobs(update, faults.knobs)),
    damaged: new Set(),
    gzippedMetadata,
  };

  const server = http2.createSecureServer({
    key: options.tls.key,
    cert: options.tls.cert,
    allowHTTP1: true,
    settings: initial.maxStreams > 0 ? { maxConcurrentStreams: initial.maxStreams } : {},
  });
  const sessionStreams = new WeakMap<object, number>();
  const sessions = new Set<ServerHttp2Session>();
  server.on('secureConnection', () => counters.stats.tlsConnections++);
  server.on('session', (session: ServerHttp2Session) => {
    counters.stats.http2Sessions++;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    const maxStreams = faults.knobs.maxStreams;
    if (maxStreams > 0) session.settings({ maxConcurrentStreams: maxStreams });
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      const n = (sessionStreams.get(session) ?? 0) + 1;
      sessionStreams.set(session, n);
      counters.stats.peakStreamsPerSession = Math.max(counters.stats.peakStreamsPerSession, n);
      stream.once('close', () =>
        sessionStreams.set(session, (sessionStreams.get(session) ?? 1) - 1),
      );
    });
  });

  async function handle(req: Http2ServerRequest, res: Http2ServerResponse) {
    const url = new URL(req.url, 'https://local');
    const path = url.pathname;
    const noCors = faults.knobs.controlPlaneNoCors > 0 && isControlPlanePath(path);
    if (!noCors) cors(req, res);
    if (req.method === 'OPTIONS') {
      counters.stats.preflights++;
      if (noCors) return void res.writeHead(403).end();
      return preflight(res);
    }
    if (path === '/cognito-identity' || path === '/cognito-identity/')
      return handleCognito(ctx, req, res);
    // The demo and the test hooks are counted apart, so the API counters show only what an AWS
    // endpoint would see.
    if (isLocalPath(path)) return handleLocal(ctx, req, res, url);
    if (isControlPlane(req.method, path)) return handleControlPlane(ctx, req, res, url);
    return handleRuntime(ctx, req, res, url);
  }

  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const stats = counters.stats;
    stats.currentStreams++;
    stats.peakStreams = Math.max(stats.peakStreams, stats.currentStreams);
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      counters.stats.currentStreams--;
    };
    res.on('finish', done);
    res.on('close', done);
    handle(req, res).catch((e: unknown) => {
      console.error('ahi-server: request failed:', e);
      if (!res.headersSent)
        sendError(ctx, res, new AhiError(500, 'InternalServerException', 'Internal server error'));
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

  return {
    url: `https://${host}:${port}`,
    port,
    stats: () => structuredClone(counters.stats),
    resetStats: () => counters.reset(),
    knobs: () => ({ ...faults.knobs }),
    setKnobs: (update) => ctx.setKnobs(update),
    summary: () => {
      const stats = counters.stats;
      return (
        `ahi-server: ${stats.requests} requests (${
          Object.entries(stats.byOperation)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        }), ` +
        `${(stats.bytesSent / 1e6).toFixed(1)} MB sent, errors ${JSON.stringify(stats.errorsByType)}, ` +
        `${stats.tlsConnections} TLS connections, ${stats.http2Sessions} HTTP/2 sessions, peak ${stats.peakStreams} streams`
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
