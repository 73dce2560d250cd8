/**
 * The local server's own paths, outside AWS's API and counted apart from it: the demo index and
 * its manifests and metadata, temporary credentials for tests, and the test hooks under /__ahi/
 * (counters, knobs, SHA-256 digests of the stored frames, a counter reset, frames stored damaged).
 */
import { createHash } from 'node:crypto';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ServerContext } from '../context';
import { toManifest } from '../imageSet';
import { hostOf, readBody, writeJson } from '../http';
import { mintCredentials } from '../sigv4';

export const isLocalPath = (path: string): boolean =>
  path.startsWith('/__ahi/') || path.startsWith('/demo/') || path === '/demo';

function demoIndex(ctx: ServerContext, host: string) {
  return {
    region: ctx.options.region,
    endpoint: `https://${host}`,
    imageSets: [...ctx.sets.values()]
      .filter((s) => s.demo !== false)
      .map((s) => ({
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

export async function handleLocal(
  ctx: ServerContext,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  url: URL,
): Promise<void> {
  ctx.counters.stats.localRequests++;
  const path = url.pathname;
  const json = (status: number, body: unknown) => void writeJson(res, status, body);
  if (req.method === 'GET' && path === '/__ahi/stats') return json(200, ctx.counters.stats);
  if (req.method === 'GET' && path === '/__ahi/knobs') return json(200, ctx.faults().knobs);
  const digests = /^\/__ahi\/digests\/([0-9a-z]{32})$/.exec(path);
  if (req.method === 'GET' && digests) {
    // SHA-256 of every stored frame, so tests can prove the client kept the exact bytes.
    const set = ctx.sets.get(digests[1]!);
    if (!set) return json(404, { message: 'no such image set' });
    const out: Record<string, string> = {};
    for (const [id, f] of set.frames) out[id] = createHash('sha256').update(f.bytes).digest('hex');
    return json(200, out);
  }
  if (req.method === 'POST' && path === '/__ahi/reset') {
    ctx.counters.reset();
    return json(200, ctx.counters.stats);
  }
  if (req.method === 'POST' && path === '/__ahi/damage') {
    // { "frameIds": [...] }: from now on these frames are served damaged ([] undoes it).
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as unknown;
    const ids = (body as { frameIds?: unknown }).frameIds;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string'))
      return json(400, { message: 'expected { "frameIds": [string, ...] }' });
    ctx.damaged.clear();
    for (const id of ids) ctx.damaged.add(id);
    return json(200, { damaged: ids.length });
  }
  if (req.method === 'POST' && path === '/__ahi/knobs') {
    try {
      const update = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<
        string,
        unknown
      >;
      return json(200, ctx.setKnobs(update));
    } catch (e) {
      return json(400, { message: (e as Error).message });
    }
  }
  if (req.method === 'POST' && path === '/demo/credentials') {
    const knobs = ctx.faults().knobs;
    const ttl = Number(url.searchParams.get('ttlSeconds') ?? (knobs.credentialsTtlSeconds || 3600));
    const c = mintCredentials(ctx.auth, Number.isFinite(ttl) && ttl > 0 ? ttl : 3600);
    ctx.counters.stats.credentialsIssued++;
    return json(200, { ...c, expiration: c.expiration.toISOString() });
  }
  if (req.method === 'GET' && (path === '/demo/' || path === '/demo'))
    return json(200, demoIndex(ctx, hostOf(req)));
  const m = /^\/demo\/([a-z0-9-]+)\/(manifest|metadata)\.json$/.exec(path);
  const set = m ? [...ctx.sets.values()].find((s) => s.name === m[1]) : undefined;
  if (req.method === 'GET' && m && set)
    return json(200, m[2] === 'manifest' ? toManifest(set) : set.metadata);
  return json(404, { message: `No demo resource at ${path}` });
}
