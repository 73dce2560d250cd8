/**
 * What the routes of the local AHI share: its options, the image sets, SigV4 settings, the
 * counters, the fault knobs in force, and the answers that count themselves.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ImageSet } from './imageSet';
import type { Datastore } from './datastores';
import type { Faults } from './faults';
import { AhiError, isAwsError, readBody, signedHeaders, writeJson } from './http';
import type { Knobs } from './knobs';
import { verifySigV4, type AuthConfig, type AuthError } from './sigv4';
import { bump, type Counters } from './stats';

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

export interface ServerContext {
  readonly options: AhiServerOptions;
  readonly auth: AuthConfig;
  readonly sets: ReadonlyMap<string, ImageSet>;
  /** the datastores of those image sets (datastores.ts) */
  readonly datastores: readonly Datastore[];
  readonly counters: Counters;
  /** the knobs' faults in force (replaced when the knobs change) */
  faults(): Faults;
  setKnobs(update: Record<string, unknown>): Knobs;
  /**
   * Frames stored damaged (a test hook, POST /__ahi/damage): each is served whole, Content-Length
   * and all, but its codestream is cut to its first quarter, as a frame damaged at rest would be.
   */
  readonly damaged: Set<string>;
  /** each image set's metadata, gzipped once */
  readonly gzippedMetadata: Map<string, Buffer>;
}

/** A JSON answer of the AWS API, counted by status and bytes. */
export function sendJson(
  ctx: ServerContext,
  res: Http2ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const bytes = writeJson(res, status, body, extra);
  bump(ctx.counters.stats.byStatus, String(status));
  ctx.counters.stats.bytesSent += bytes;
}

/** An AWS error answer (`message` and `x-amzn-ErrorType`), counted by type. */
export function sendError(ctx: ServerContext, res: Http2ServerResponse, err: AhiError | AuthError) {
  bump(ctx.counters.stats.errorsByType, err.errorType);
  sendJson(
    ctx,
    res,
    err.status,
    { message: err.message },
    { 'x-amzn-errortype': err.errorType, 'x-amzn-requestid': crypto.randomUUID() },
  );
}

/** A request's body, read, with its SigV4 signature verified (AuthError when it is not). */
export async function verifiedBody(
  ctx: ServerContext,
  req: Http2ServerRequest,
  url: URL,
): Promise<Buffer> {
  const body = await readBody(req);
  await verifySigV4(
    {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: signedHeaders(req),
      body,
    },
    ctx.auth,
  );
  return body;
}

/** A route's answer to whatever it threw: AWS's shape for AWS's errors, else a logged 500. */
export function sendFailure(ctx: ServerContext, res: Http2ServerResponse, e: unknown): void {
  if (isAwsError(e)) return sendError(ctx, res, e);
  console.error('ahi-server: internal error:', e);
  sendError(ctx, res, new AhiError(500, 'InternalServerException', 'Internal server error'));
}
