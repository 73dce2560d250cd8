/**
 * AHI's control plane from the browser: ListDatastores (with GetDatastore for each, which alone
 * says the lossless storage format). It lives on another host than the runtime API
 * (medical-imaging.<region>.amazonaws.com; a custom endpoint serves both), and AWS documents no
 * CORS for it: when the browser is refused, the error says so in words, and the user types the
 * datastore ID instead.
 */
import { RetrieveError } from '../core/errors';
import type { AhiClient } from './ahiClient';
import { errorFromResponse } from './ahiClient';
import { QuotaGate } from './quota';

export interface DatastoreInfo {
  datastoreId: string;
  name: string;
  status: string;
  /** HTJ2K or JPEG_2000_LOSSLESS; undefined when GetDatastore did not answer */
  losslessStorageFormat?: string;
  createdAt?: number;
}

/** The control plane's origin for a runtime endpoint: AWS's own host, or the custom endpoint. */
export function controlPlaneEndpoint(runtime: string): string {
  const url = new URL(runtime);
  const aws = /^runtime-(medical-imaging(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com)$/.exec(
    url.hostname,
  );
  return aws ? `https://${aws[1]}` : url.origin;
}

const LIST_RATE = 5;
const GET_RATE = 10;

async function getJson(
  client: AhiClient,
  url: string,
  what: string,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await client.send(url, undefined, undefined, 'GET');
  } catch (e) {
    if (e instanceof RetrieveError && e.code === 'Network')
      throw new RetrieveError(
        'Network',
        `${what}: the browser could not call AHI's control plane at ${new URL(url).origin}. AWS documents no CORS for it, so browsers are often refused. Type the datastore ID instead (search and downloads do not need the control plane).`,
      );
    throw e;
  }
  if (!response.ok) throw await errorFromResponse(response, what);
  return (await response.json()) as Record<string, unknown>;
}

/** Every datastore of the account and region, each described by GetDatastore. */
export async function listDatastores(client: AhiClient): Promise<DatastoreInfo[]> {
  const base = controlPlaneEndpoint(client.endpoint);
  const list = new QuotaGate(LIST_RATE);
  const get = new QuotaGate(GET_RATE);
  const out: DatastoreInfo[] = [];
  let token: string | undefined;
  do {
    const query = `?maxResults=50${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const page = await list.run(() =>
      getJson(client, `${base}/datastore${query}`, 'ListDatastores'),
    );
    const summaries = Array.isArray(page['datastoreSummaries']) ? page['datastoreSummaries'] : [];
    for (const s of summaries as Record<string, unknown>[]) {
      if (typeof s['datastoreId'] !== 'string') continue;
      out.push({
        datastoreId: s['datastoreId'],
        name: typeof s['datastoreName'] === 'string' ? s['datastoreName'] : '',
        status: typeof s['datastoreStatus'] === 'string' ? s['datastoreStatus'] : '',
        ...(typeof s['createdAt'] === 'number' ? { createdAt: s['createdAt'] * 1000 } : {}),
      });
    }
    token = typeof page['nextToken'] === 'string' ? page['nextToken'] : undefined;
  } while (token);
  await Promise.all(
    out.map(async (d) => {
      try {
        const got = await get.run(() =>
          getJson(client, `${base}/datastore/${d.datastoreId}`, `GetDatastore ${d.datastoreId}`),
        );
        const props = got['datastoreProperties'] as Record<string, unknown> | undefined;
        if (typeof props?.['losslessStorageFormat'] === 'string')
          d.losslessStorageFormat = props['losslessStorageFormat'];
      } catch {
        // the list stands without the format
      }
    }),
  );
  return out;
}
