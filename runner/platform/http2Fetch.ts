/**
 * `fetch` over node:http2, for the runner's threads: the app's AhiClient calls `fetch(request)` as
 * in a browser, and here each origin gets a few HTTP/2 connections, each carrying up to
 * `streamsPerConnection` requests at once (AHI stops scaling past about 20 per connection; a new
 * connection opens when every one is full). Node's own fetch speaks HTTP/1.1 only. Bodies arrive
 * as byte streams, so the client's BYOB reader fills its buffer straight from the socket's chunks;
 * gzip and deflate bodies are inflated as browsers do. `file:` URLs are read from disk: the codecs
 * fetch their WASM by URL. Certificates are checked against Node's CA store, which
 * NODE_EXTRA_CA_CERTS extends (the local server's, a private endpoint's).
 */
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export interface Http2FetchOptions {
  /** requests one connection carries at once before another is opened */
  streamsPerConnection: number;
}

interface Connection {
  session: http2.ClientHttp2Session;
  active: number;
}

const abortError = () => new DOMException('The operation was aborted.', 'AbortError');

/** TLS codes that mean the endpoint's certificate is not one Node trusts. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/**
 * A fetch failure as browsers report one, a TypeError with its cause, but saying why in its
 * message (a browser's "Failed to fetch" says nothing), and what to do about an untrusted
 * certificate.
 */
function fetchFailed(cause: unknown): TypeError {
  // A refused certificate fails the connection; its streams fail with it as their cause.
  const codes: string[] = [];
  for (let c = cause as { code?: string; cause?: unknown } | undefined; c; c = c.cause as typeof c)
    if (c.code) codes.push(c.code);
  const why = cause instanceof Error ? cause.message : String(cause);
  const hint = codes.some((c) => UNTRUSTED.has(c))
    ? ': the endpoint’s certificate is not trusted here; give its CA certificate (PEM) with NODE_EXTRA_CA_CERTS=/path/to/ca.pem'
    : '';
  return new TypeError(`fetch failed: ${why}${hint}`, { cause });
}

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, NGHTTP2_CANCEL } =
  http2.constants;

export class Http2Fetch {
  private readonly pools = new Map<string, Connection[]>();

  constructor(private readonly options: Http2FetchOptions) {}

  private connection(origin: string): Connection {
    const list = this.pools.get(origin) ?? [];
    this.pools.set(origin, list);
    let best: Connection | undefined;
    for (const c of list) if (!best || c.active < best.active) best = c;
    if (best && best.active < this.options.streamsPerConnection) return best;
    const session = http2.connect(origin);
    const c: Connection = { session, active: 0 };
    const drop = () => {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    };
    // A connection that fails or is told to go away takes no new requests; its open streams end
    // with their own errors.
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    list.push(c);
    return c;
  }

  /** The fetch function: same signature as the global one. */
  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol === 'file:') {
      const bytes = await readFile(fileURLToPath(url));
      return new Response(bytes, {
        headers: { 'content-type': url.pathname.endsWith('.wasm') ? 'application/wasm' : '' },
      });
    }
    const signal = init.signal ?? request.signal;
    if (signal?.aborted) throw abortError();
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const headers: http2.OutgoingHttpHeaders = {
      [HTTP2_HEADER_METHOD]: request.method,
      [HTTP2_HEADER_PATH]: url.pathname + url.search,
    };
    request.headers.forEach((value, name) => {
      if (name !== 'host' && name !== 'connection') headers[name] = value;
    });
    const connection = this.connection(url.origin);
    connection.active++;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = connection.session.request(headers, { endStream: body === undefined });
    } catch (e) {
      connection.active--;
      throw fetchFailed(e);
    }
    // A stream closes once, however it ends: its slot on the connection is free again.
    stream.on('close', () => connection.active--);
    if (body !== undefined) stream.end(body);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        stream.close(NGHTTP2_CANCEL);
        if (!settled) reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('error', (e) => {
        if (!settled) reject(fetchFailed(e));
      });
      stream.on('response', (head) => {
        settled = true;
        const status = Number(head[HTTP2_HEADER_STATUS]);
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(head)) {
          if (name.startsWith(':') || value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        const encoding = responseHeaders.get('content-encoding')?.toLowerCase();
        const source =
          encoding === 'gzip'
            ? stream.pipe(zlib.createGunzip())
            : encoding === 'deflate'
              ? stream.pipe(zlib.createInflate())
              : encoding === 'br'
                ? stream.pipe(zlib.createBrotliDecompress())
                : stream;
        const empty = status === 204 || status === 304 || request.method === 'HEAD';
        resolve(
          new Response(empty ? null : byteStream(source, stream, signal), {
            status,
            headers: responseHeaders,
          }),
        );
      });
    });
  };

  /** Closes every connection (the thread ends). */
  close(): void {
    for (const list of this.pools.values()) for (const c of list) c.session.close();
    this.pools.clear();
  }
}

/**
 * A response body as a byte stream that delivers the whole body as one chunk once it has arrived
 * (or errors, so a short body is never mistaken for a whole one). Handing each 16 KB HTTP/2 DATA
 * frame through the web stream (a promise and a BYOB respond each) cost more CPU per frame than
 * the HTJ2K decode; one chunk costs one. The Node chunks are gathered by reference and copied
 * once.
 */
function byteStream(
  source: NodeJS.ReadableStream,
  stream: http2.ClientHttp2Stream,
  signal: AbortSignal | null | undefined,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller: ReadableByteStreamController) {
      const chunks: Buffer[] = [];
      let length = 0;
      let ended = false;
      source.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      source.on('end', () => {
        if (ended) return;
        ended = true;
        if (length > 0) {
          const whole = new Uint8Array(length);
          let at = 0;
          for (const c of chunks) {
            whole.set(c, at);
            at += c.length;
          }
          controller.enqueue(whole);
        }
        controller.close();
        controller.byobRequest?.respond(0);
      });
      const fail = (e: unknown) => {
        if (ended) return;
        ended = true;
        controller.error(e instanceof DOMException ? e : fetchFailed(e));
      };
      source.on('error', fail);
      if (source !== stream) stream.on('error', fail);
      stream.on('aborted', () => fail(new Error('the stream was reset')));
      signal?.addEventListener('abort', () => fail(abortError()), { once: true });
    },
    cancel() {
      stream.close(NGHTTP2_CANCEL);
    },
  });
}
