/**
 * AHI's control plane (medical-imaging.<region>.amazonaws.com), the part a browser needs to pick a
 * datastore: ListDatastores (`GET /datastore?datastoreStatus=&maxResults=1..50&nextToken=`) and
 * GetDatastore (`GET /datastore/{id}`), SigV4-verified. AWS documents no CORS for these; here they
 * answer with CORS unless the controlPlaneNoCors knob says otherwise, so tests can show both.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { sendFailure, sendJson, verifiedBody, type ServerContext } from '../context';
import { datastoreArn, type Datastore } from '../datastores';
import { AhiError, badId, ID_RE } from '../http';
import { bump } from '../stats';

const LIST = /^\/datastore\/?$/;
const GET = /^\/datastore\/([^/]+)$/;

/** A control-plane path: /datastore or /datastore/{id} (the runtime API's paths are longer). */
export const isControlPlanePath = (path: string): boolean => LIST.test(path) || GET.test(path);

/** A control-plane call: GET on its paths (the runtime API only POSTs). */
export const isControlPlane = (method: string | undefined, path: string): boolean =>
  method === 'GET' && isControlPlanePath(path);

const STATUSES = ['CREATING', 'CREATE_FAILED', 'ACTIVE', 'DELETING', 'DELETED'];

function describe(ctx: ServerContext, d: Datastore) {
  return {
    datastoreId: d.datastoreId,
    datastoreName: d.datastoreName,
    datastoreStatus: d.datastoreStatus,
    datastoreArn: datastoreArn(ctx.options.region, d.datastoreId),
    createdAt: d.createdAt.getTime() / 1000,
    updatedAt: d.updatedAt.getTime() / 1000,
  };
}

function listDatastores(ctx: ServerContext, res: Http2ServerResponse, url: URL): void {
  const status = url.searchParams.get('datastoreStatus');
  if (status !== null && !STATUSES.includes(status))
    throw new AhiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${status}' at 'datastoreStatus' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
    );
  const rawMax = url.searchParams.get('maxResults');
  const max = rawMax === null ? 50 : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > 50)
    throw new AhiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${rawMax}' at 'maxResults' failed to satisfy constraint: Member must be from 1 to 50`,
    );
  const token = url.searchParams.get('nextToken');
  const offset = token === null ? 0 : Number(token);
  if (!Number.isInteger(offset) || offset < 0)
    throw new AhiError(400, 'ValidationException', 'Invalid nextToken');
  const all = ctx.datastores.filter((d) => status === null || d.datastoreStatus === status);
  const page = all.slice(offset, offset + max);
  sendJson(ctx, res, 200, {
    datastoreSummaries: page.map((d) => describe(ctx, d)),
    ...(offset + max < all.length ? { nextToken: String(offset + max) } : {}),
  });
}

function getDatastore(ctx: ServerContext, res: Http2ServerResponse, id: string): void {
  if (!ID_RE.test(id)) throw badId('datastoreId', id);
  const d = ctx.datastores.find((x) => x.datastoreId === id);
  if (!d) throw new AhiError(404, 'ResourceNotFoundException', `Datastore ${id} not found`);
  sendJson(ctx, res, 200, {
    datastoreProperties: { ...describe(ctx, d), losslessStorageFormat: d.losslessStorageFormat },
  });
}

export async function handleControlPlane(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  url: URL,
): Promise<void> {
  const stats = ctx.counters.stats;
  stats.requests++;
  const path = url.pathname;
  const id = GET.exec(path)?.[1];
  bump(stats.byOperation, id === undefined ? 'listDatastores' : 'getDatastore');
  try {
    await verifiedBody(ctx, req, url);
    if (id === undefined) return listDatastores(ctx, res, url);
    return getDatastore(ctx, res, id);
  } catch (e) {
    sendFailure(ctx, res, e);
  }
}
