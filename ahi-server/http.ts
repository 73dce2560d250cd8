/**
 * What every route of the local AHI shares: AWS's error shape (JSON `message`, `x-amzn-ErrorType`),
 * JSON answers, bounded request bodies, and the CORS headers a browser needs.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { AuthError } from './sigv4';

export const ALLOWED_HEADERS = [
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
const EXPOSED_HEADERS = [
  'x-amzn-requestid',
  'x-amzn-errortype',
  'content-length',
  'content-type',
  'retry-after',
];
export const ID_RE = /^[0-9a-z]{32}$/;
const MAX_BODY = 64 * 1024;

/** An error AHI answers with: HTTP status, `x-amzn-ErrorType`, message. */
export class AhiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** AHI's ValidationException for an ID that is not 32 characters of [0-9a-z]. */
export function badId(member: string, value: unknown): AhiError {
  return new AhiError(
    400,
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-z]{32}`,
  );
}

export const isAwsError = (e: unknown): e is AhiError | AuthError =>
  e instanceof AhiError || e instanceof AuthError;

export function cors(req: Http2ServerRequest, res: Http2ServerResponse): void {
  const origin = req.headers.origin;
  res.setHeader('access-control-allow-origin', typeof origin === 'string' ? origin : '*');
  res.setHeader('vary', 'Origin');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
}

/** Answers a CORS preflight (cached by the browser for two hours). */
export function preflight(res: Http2ServerResponse): void {
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
    'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
    'access-control-max-age': '7200',
  });
  res.end();
}

/** Writes a JSON answer; returns its length in bytes. */
export function writeJson(
  res: Http2ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): number {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(text.length),
    ...extra,
  });
  res.end(text);
  return text.length;
}

export async function readBody(req: Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AhiError(413, 'ValidationException', 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The request's headers as SigV4 signed them (pseudo-headers out, the host put back). */
export function signedHeaders(req: Http2ServerRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string' && !k.startsWith(':')) headers[k] = v;
  }
  headers['host'] = String(req.headers[':authority'] ?? req.headers.host ?? '');
  return headers;
}

export const hostOf = (req: Http2ServerRequest): string =>
  String(req.headers[':authority'] ?? req.headers.host ?? 'localhost');
