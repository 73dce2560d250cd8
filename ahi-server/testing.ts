/**
 * Test helpers for the server: start it on a free port with a small synthetic series, and talk to
 * it as an independent HTTP/2 client that trusts its certificate (no verification turned off).
 */
import http2 from 'node:http2';
import { startLocalAhi, type LocalAhi } from './index';
import { DEFAULT_KNOBS, EXAMPLE_CREDENTIALS, type Knobs } from './knobs';

export async function startTestServer(
  knobs: Partial<Knobs> = {},
  slices = 6,
  /** frames of "synthetic-long" (the slices repeated under new IDs); 0: none */
  long = 0,
): Promise<LocalAhi> {
  return startLocalAhi({
    host: '127.0.0.1',
    port: 0,
    appPort: 0,
    region: 'us-east-1',
    ...EXAMPLE_CREDENTIALS,
    syntheticSlices: slices,
    syntheticLong: long,
    jpegSeries: 0,
    cacheDir: '.cache',
    knobs: { ...DEFAULT_KNOBS, ...knobs },
  });
}

/** The command-line runner's flags that reach `local`: its region, endpoint and example keys. */
export const runnerConnection = (local: LocalAhi): string[] => [
  '-r',
  'us-east-1',
  '-e',
  local.api.url,
  '-a',
  EXAMPLE_CREDENTIALS.accessKeyId,
  '-s',
  EXAMPLE_CREDENTIALS.secretAccessKey,
];

export interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  alpn: string | false | undefined;
}

/** One request over a fresh HTTP/2 connection that trusts only the server's own certificate. */
export function h2request(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
    ca: Buffer;
  },
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const session = http2.connect(u.origin, { ca: init.ca });
    session.on('error', (e: Error) => reject(e));
    const stream = session.request({
      ':method': init.method ?? 'GET',
      ':path': u.pathname + u.search,
      ...(init.headers ?? {}),
    });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), alpn });
    });
    stream.on('error', (e: Error) => {
      session.destroy();
      reject(e);
    });
    if (init.body !== undefined) stream.end(init.body);
    else stream.end();
  });
}

/** Sends a Request (as signed by aws4fetch) over HTTP/2. */
export async function sendSigned(request: Request, ca: Buffer): Promise<H2Response> {
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => {
    if (k !== 'host') headers[k] = v;
  });
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  return h2request(request.url, { method: request.method, headers, ca, ...(body ? { body } : {}) });
}
