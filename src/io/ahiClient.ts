/**
 * The AHI client: SigV4 signing with aws4fetch (service and region explicit, its own retries off:
 * the retry policy is ours), GetImageFrame read into one buffer sized from Content-Length, and AHI
 * errors mapped to our error codes. Runs in a window or a worker.
 */
import { AwsClient } from 'aws4fetch';
import { RetrieveError, type ErrorCode } from '../core/errors';
import type { Credentials } from '../core/protocol';
import { parseRetryAfter } from '../core/retry';
import type { BufferPool } from './bufferPool';

export const SIGNING_SERVICE = 'medical-imaging';

export interface FrameResponse {
  bytes: Uint8Array;
  contentType: string;
  /** ms from sending until the response head arrived */
  requestMs: number;
  /** ms reading the body */
  bodyMs: number;
}

/** Maps an AHI error response to our error code. */
export function classifyError(status: number, awsType: string): ErrorCode {
  const type = awsType.split(':')[0] ?? '';
  if (type === 'ExpiredTokenException' || type === 'ExpiredToken') return 'ExpiredCredentials';
  if (status === 429 || type === 'ThrottlingException' || type === 'TooManyRequestsException')
    return 'Throttled';
  if (status === 403 || status === 401) return 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 400 || status === 413 || status === 422) return 'Validation';
  return 'ServerError';
}

/** Builds a RetrieveError from a non-2xx response (reads its JSON body for AWS's message). */
export async function errorFromResponse(response: Response, what: string): Promise<RetrieveError> {
  let message = '';
  let bodyType = '';
  try {
    const text = await response.text();
    const body = JSON.parse(text) as { message?: string; Message?: string; __type?: string };
    message = body.message ?? body.Message ?? '';
    bodyType = body.__type ?? '';
  } catch {
    // not JSON: keep the status line
  }
  const awsType = response.headers.get('x-amzn-errortype') ?? bodyType;
  const code = classifyError(response.status, awsType);
  const retryAfterMs = parseRetryAfter(
    response.headers.get('retry-after') ?? response.headers.get('x-amz-retry-after'),
  );
  const typeName = awsType.split(':')[0] || `HTTP ${response.status}`;
  return new RetrieveError(code, `${what}: ${typeName}${message ? `: ${message}` : ''}`, {
    status: response.status,
    ...(awsType ? { awsType: typeName } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * Reads a body into one buffer. With Content-Length the buffer is allocated once and a short body
 * is an error (a truncated HTJ2K codestream decodes silently to wrong pixels). Where the body is a
 * byte stream (fetch bodies in Chromium are), a BYOB reader fills that buffer directly: no chunk
 * arrays to copy from and collect, about one frame's worth of garbage less per frame. With `buffers`
 * that buffer comes from the pool (the view returned may be shorter than its buffer).
 */
export async function readBody(
  response: Response,
  {
    sizeHint,
    buffers,
  }: {
    /** the expected size when no Content-Length is announced (the buffer grows past it) */
    sizeHint?: number;
    buffers?: BufferPool;
  } = {},
): Promise<Uint8Array> {
  const announced = Number(response.headers.get('content-length') ?? NaN);
  const exact =
    Number.isInteger(announced) && announced >= 0 && !response.headers.get('content-encoding');
  if (!response.body) return new Uint8Array(0);
  if (exact) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = response.body.getReader({ mode: 'byob' });
    } catch {
      // not a byte stream: read chunks below
    }
    if (byob) return readExactly(byob, announced, buffers);
  }
  const reader = response.body.getReader();
  let buffer = new Uint8Array(exact ? announced : Math.max(64 * 1024, sizeHint ?? 0));
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.length > buffer.length) {
      if (exact)
        throw new RetrieveError(
          'Truncated',
          `Body longer than its Content-Length (${announced} bytes)`,
        );
      const grown = new Uint8Array(Math.max(buffer.length * 2, length + value.length));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(value, length);
    length += value.length;
  }
  if (exact && length !== announced) {
    throw new RetrieveError('Truncated', `Body ended after ${length} of ${announced} bytes`);
  }
  return exact ? buffer : buffer.slice(0, length);
}

/** Fills exactly `size` bytes with a BYOB reader; a shorter or longer body is an error. */
async function readExactly(
  reader: ReadableStreamBYOBReader,
  size: number,
  buffers?: BufferPool,
): Promise<Uint8Array> {
  // Each read transfers the buffer and hands back a view of the same memory: follow it.
  let buffer = buffers?.take(size) ?? new ArrayBuffer(size);
  let length = 0;
  while (length < size) {
    const { done, value } = await reader.read(new Uint8Array(buffer, length, size - length));
    if (done || !value)
      throw new RetrieveError('Truncated', `Body ended after ${length} of ${size} bytes`);
    buffer = value.buffer;
    length += value.byteLength;
  }
  const extra = await reader.read(new Uint8Array(1));
  if (!extra.done) {
    await reader.cancel();
    throw new RetrieveError('Truncated', `Body longer than its Content-Length (${size} bytes)`);
  }
  return new Uint8Array(buffer, 0, size);
}

export class AhiClient {
  private readonly aws: AwsClient;

  constructor(
    readonly endpoint: string,
    readonly region: string,
    credentials: Credentials,
  ) {
    this.aws = new AwsClient({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      service: SIGNING_SERVICE,
      region,
      retries: 0,
    });
  }

  private url(datastoreId: string, imageSetId: string, operation: string, query = ''): string {
    return `${this.endpoint}/datastore/${datastoreId}/imageSet/${imageSetId}/${operation}${query}`;
  }

  /** Signs and sends a request (POST unless said); a fetch that throws is a Network error. */
  async send(
    url: string,
    body: string | undefined,
    signal?: AbortSignal,
    method: 'GET' | 'POST' = 'POST',
  ): Promise<Response> {
    const request = await this.aws.sign(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    try {
      return await fetch(request, signal ? { signal } : {});
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new RetrieveError(
        'Network',
        `Could not reach ${this.endpoint}: ${(e as Error).message}`,
      );
    }
  }

  /** GetImageFrame: the frame's bytes in their stored syntax, and that syntax's Content-Type. */
  async getImageFrame(
    datastoreId: string,
    imageSetId: string,
    frameId: string,
    signal?: AbortSignal,
    /** where the body's buffer comes from (it goes back there when the caller is done) */
    buffers?: BufferPool,
  ): Promise<FrameResponse> {
    const t0 = performance.now();
    const response = await this.send(
      this.url(datastoreId, imageSetId, 'getImageFrame'),
      JSON.stringify({ imageFrameId: frameId }),
      signal,
    );
    const t1 = performance.now();
    if (!response.ok) throw await errorFromResponse(response, `GetImageFrame ${frameId}`);
    let bytes: Uint8Array;
    try {
      bytes = await readBody(response, { buffers });
    } catch (e) {
      if (e instanceof RetrieveError || (e instanceof DOMException && e.name === 'AbortError'))
        throw e;
      throw new RetrieveError(
        'Network',
        `GetImageFrame ${frameId}: connection lost while reading the body (${(e as Error).message})`,
      );
    }
    return {
      bytes,
      contentType: (response.headers.get('content-type') ?? 'application/octet-stream')
        .split(';')[0]!
        .trim(),
      requestMs: t1 - t0,
      bodyMs: performance.now() - t1,
    };
  }

  /**
   * SearchImageSets: one page of summaries for a SearchCriteria body, and the token of the next
   * page (bound by AHI to this search).
   */
  async searchImageSets(
    datastoreId: string,
    criteria: unknown,
    maxResults: number,
    nextToken?: string,
    signal?: AbortSignal,
  ): Promise<{ summaries: unknown[]; nextToken?: string }> {
    const query = new URLSearchParams({ maxResults: String(maxResults) });
    if (nextToken) query.set('nextToken', nextToken);
    const response = await this.send(
      `${this.endpoint}/datastore/${datastoreId}/searchImageSets?${query}`,
      JSON.stringify(criteria),
      signal,
    );
    if (!response.ok) throw await errorFromResponse(response, 'SearchImageSets');
    const body = (await response.json()) as {
      imageSetsMetadataSummaries?: unknown;
      nextToken?: unknown;
    };
    return {
      summaries: Array.isArray(body.imageSetsMetadataSummaries)
        ? body.imageSetsMetadataSummaries
        : [],
      ...(typeof body.nextToken === 'string' && body.nextToken
        ? { nextToken: body.nextToken }
        : {}),
    };
  }

  /** GetImageSetMetadata: the image set's metadata document (gzip is undone by the browser). */
  async getImageSetMetadata(
    datastoreId: string,
    imageSetId: string,
    version?: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const query = version ? `?version=${encodeURIComponent(version)}` : '';
    const response = await this.send(
      this.url(datastoreId, imageSetId, 'getImageSetMetadata', query),
      undefined,
      signal,
    );
    if (!response.ok) throw await errorFromResponse(response, `GetImageSetMetadata ${imageSetId}`);
    // The text, not a parsed value: the job stores it as received and the planner parses it once.
    return await response.text();
  }
}
