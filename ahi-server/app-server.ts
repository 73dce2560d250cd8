/**
 * Serves the built app (dist/) over HTTPS + HTTP/2 on its own port, so the page and the AHI API
 * are different origins exactly as with real AWS (CORS preflights included). Also answers
 * /ahi-local.json, which prefills the app for this local server; elsewhere that file is absent and
 * the app starts empty.
 */
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The production build's Content-Security-Policy: scripts only from the app's origin (plus
 * WebAssembly compilation for the codecs), media from object URLs (stored videos), connections only to the app, AWS endpoints
 * (HealthImaging, Cognito) and the origins given (the local AHI server). A deployment serving
 * dist/ elsewhere should send the same header with its own AHI endpoints in connect-src.
 */
export function contentSecurityPolicy(connectOrigins: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src 'self' https://*.amazonaws.com ${connectOrigins.join(' ')}`.trim(),
    "img-src 'self' blob: data:",
    // stored videos play from object URLs of their bytes
    "media-src 'self' blob:",
    "style-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

export async function startAppServer(options: {
  host: string;
  port: number;
  dir: string;
  tls: { key: Buffer; cert: Buffer };
  /** the prefill document, for the host name the page was requested with */
  localConfig: (host: string) => unknown;
  /** origins the page may connect to besides its own and AWS (the local API), per host name */
  connectOrigins?: (host: string) => string[];
}): Promise<AppServer> {
  const root = resolve(options.dir);
  try {
    await stat(join(root, 'index.html'));
  } catch {
    throw new Error(`no built app in ${root} (run \`npx vite build\` first, or use \`npm start\`)`);
  }
  const server = http2.createSecureServer({ ...options.tls, allowHTTP1: true });
  server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    void (async () => {
      const url = new URL(req.url, 'https://local');
      if (url.pathname === '/ahi-local.json') {
        const authority = String(req.headers[':authority'] ?? req.headers.host ?? 'localhost');
        const body = JSON.stringify(options.localConfig(authority.replace(/:\d+$/, '')));
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
      if (path.endsWith('/')) path += 'index.html';
      let file = join(root, path);
      if (!file.startsWith(root)) file = join(root, 'index.html');
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        file = join(root, 'index.html');
        body = await readFile(file);
      }
      const immutable = file.includes(`${root}/assets/`);
      const host = String(req.headers[':authority'] ?? req.headers.host ?? 'localhost').replace(
        /:\d+$/,
        '',
      );
      res.writeHead(200, {
        'content-security-policy': contentSecurityPolicy(options.connectOrigins?.(host) ?? []),
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'content-length': String(body.length),
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `app port ${options.port} is already in use. Set AHI_APP_PORT to a free port.`,
            )
          : e,
      ),
    );
    server.listen(options.port, options.host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://${options.host === '127.0.0.1' ? 'localhost' : options.host}:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
