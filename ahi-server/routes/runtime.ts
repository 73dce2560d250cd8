/**
 * AHI's runtime API (runtime-medical-imaging.<region>.amazonaws.com): GetImageFrame,
 * GetImageSetMetadata, GetImageSet and SearchImageSets (routes/search.ts), each SigV4-verified,
 * with AHI's validation and not-found errors, and the fault knobs applied to frames and metadata.
 */
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { sendFailure, sendJson, verifiedBody, type ServerContext } from '../context';
import type { ImageSet } from '../imageSet';
import { AhiError, badId, ID_RE } from '../http';
import { bump } from '../stats';
import { searchImageSets } from './search';

const ROUTE_WITH_SET =
  /^\/datastore\/([^/]+)\/imageSet\/([^/]+)\/(getImageFrame|getImageSetMetadata|getImageSet)$/;
const ROUTE_DATASTORE = /^\/datastore\/([^/]+)\/(searchImageSets)$/;

function findSet(
  ctx: ServerContext,
  datastoreId: string,
  imageSetId?: string,
): ImageSet | undefined {
  if (!ID_RE.test(datastoreId)) throw badId('datastoreId', datastoreId);
  const known = ctx.datastores.some((d) => d.datastoreId === datastoreId);
  if (!known)
    throw new AhiError(404, 'ResourceNotFoundException', `Datastore ${datastoreId} not found`);
  if (imageSetId === undefined) return undefined;
  if (!ID_RE.test(imageSetId)) throw badId('imageSetId', imageSetId);
  const set = ctx.sets.get(imageSetId);
  if (!set || set.datastoreId !== datastoreId)
    throw new AhiError(
      404,
      'ResourceNotFoundException',
      `ImageSet ${imageSetId} not found in datastore ${datastoreId}`,
    );
  return set;
}

/** Sends a frame's bytes, shaped, corrupted or cut off as the knobs say. */
async function sendFrame(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  id: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<void> {
  const faults = ctx.faults();
  const stats = ctx.counters.stats;
  if (ctx.damaged.has(id)) bytes = bytes.subarray(0, Math.ceil(bytes.length / 4));
  const corrupted = faults.corrupt(bytes);
  if (corrupted) stats.corrupted++;
  const body = corrupted ?? bytes;
  const reset = faults.resetMidBody();
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': String(body.length),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  bump(stats.byStatus, '200');
  const limit = reset ? Math.floor(body.length / 2) : body.length;
  const shaper = faults.shaperFor((req.stream?.session as object | undefined) ?? req.socket);
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
  ctx.counters.frameServed(id, body.length);
}

async function getImageFrame(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  set: ImageSet,
  body: Buffer,
): Promise<void> {
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
  const faults = ctx.faults();
  if (faults.throttled()) throw new AhiError(429, 'ThrottlingException', 'Rate exceeded');
  if (faults.unavailable()) {
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
  await faults.delay();
  await sendFrame(ctx, req, res, frameId, frame.bytes, frame.contentType);
}

async function getImageSetMetadata(
  ctx: ServerContext,
  res: Http2ServerResponse,
  set: ImageSet,
  url: URL,
): Promise<void> {
  const version = url.searchParams.get('version');
  if (version !== null && version !== '1')
    throw new AhiError(
      404,
      'ResourceNotFoundException',
      `ImageSet ${set.imageSetId} version ${version} not found`,
    );
  const faults = ctx.faults();
  if (faults.metadataConflict())
    throw new AhiError(
      409,
      'ConflictException',
      `ImageSet ${set.imageSetId} is being updated; try again later`,
    );
  let gz = ctx.gzippedMetadata.get(set.imageSetId);
  if (!gz) {
    gz = gzipSync(JSON.stringify(set.metadata));
    ctx.gzippedMetadata.set(set.imageSetId, gz);
  }
  await faults.delay();
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'content-length': String(gz.length),
  });
  bump(ctx.counters.stats.byStatus, '200');
  res.end(gz);
  ctx.counters.stats.bytesSent += gz.length;
}

function getImageSet(ctx: ServerContext, res: Http2ServerResponse, set: ImageSet): void {
  sendJson(ctx, res, 200, {
    datastoreId: set.datastoreId,
    imageSetId: set.imageSetId,
    versionId: '1',
    imageSetState: 'ACTIVE',
    imageSetWorkflowStatus: 'CREATED',
    createdAt: set.createdAt.getTime() / 1000,
    updatedAt: (set.updatedAt ?? set.createdAt).getTime() / 1000,
    isPrimary: set.isPrimary ?? true,
    imageSetArn: `arn:aws:medical-imaging:${ctx.options.region}:000000000000:datastore/${set.datastoreId}/imageset/${set.imageSetId}`,
  });
}

/** Every other path: AHI's runtime operations (unknown ones answered as AWS does). */
export async function handleRuntime(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  url: URL,
): Promise<void> {
  const stats = ctx.counters.stats;
  const path = url.pathname;
  stats.requests++;
  if (!req.stream) stats.http1Requests++;
  try {
    const route = ROUTE_WITH_SET.exec(path) ?? ROUTE_DATASTORE.exec(path);
    const operation = route ? (route.length === 4 ? route[3]! : route[2]!) : 'unknown';
    bump(stats.byOperation, operation);
    if (!route || req.method !== 'POST') {
      throw new AhiError(
        404,
        'UnknownOperationException',
        `Unknown operation ${req.method} ${path}`,
      );
    }
    const body = await verifiedBody(ctx, req, url);
    if (operation === 'searchImageSets') {
      findSet(ctx, route[1]!);
      return searchImageSets(ctx, res, route[1]!, url, body);
    }
    const set = findSet(ctx, route[1]!, route[2])!;
    if (operation === 'getImageFrame') return await getImageFrame(ctx, req, res, set, body);
    if (operation === 'getImageSetMetadata') return await getImageSetMetadata(ctx, res, set, url);
    return getImageSet(ctx, res, set);
  } catch (e) {
    sendFailure(ctx, res, e);
  }
}
