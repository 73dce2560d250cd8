/**
 * GetImageSetMetadata as planning needs it: the document's JSON text, with 409 ConflictException
 * (an image set still being processed or updated) waited out a few times before it counts; and
 * many image sets' documents within the operation's quota, a few requests at a time.
 */
import { RetrieveError } from '../core/errors';
import type { AhiClient } from './ahiClient';
import { QuotaGate } from './quota';

/** The name a fetched metadata document goes by among a job's sources (and in its bundles). */
export const metadataName = (imageSetId: string) => `${imageSetId}-metadata.json`;

/** GetImageSetMetadata's quota per account and region */
export const METADATA_RATE = 50;
/** documents fetched at once (each is one request; the quota is the real limit) */
const CONCURRENCY = 8;

const CONFLICT_ATTEMPTS = 5;
const CONFLICT_WAIT_MS = 2000;

export async function fetchMetadata(
  client: AhiClient,
  datastoreId: string,
  imageSetId: string,
  version?: string,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.getImageSetMetadata(datastoreId, imageSetId, version);
    } catch (e) {
      if (e instanceof RetrieveError && e.code === 'Conflict' && attempt < CONFLICT_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, CONFLICT_WAIT_MS * attempt));
        continue;
      }
      throw e;
    }
  }
}

/**
 * Each image set's document, in the order given, fetched within the quota (throttling retried by
 * the gate); `progress` is told as each one comes in. The first that cannot be read stops them.
 */
export async function fetchMetadataDocuments(
  client: AhiClient,
  imageSets: readonly { datastoreId: string; imageSetId: string; version?: string }[],
  progress?: (done: number, total: number) => void,
): Promise<string[]> {
  const out = new Array<string>(imageSets.length);
  await eachMetadataDocument(client, imageSets, (i, content) => void (out[i] = content), progress);
  return out;
}

/**
 * The same, each document handed to `each` as it comes in (in any order, by its index) and not
 * kept: a datastore's documents written to disk one by one instead of held together.
 */
export async function eachMetadataDocument(
  client: AhiClient,
  imageSets: readonly { datastoreId: string; imageSetId: string; version?: string }[],
  each: (index: number, content: string) => void | Promise<void>,
  progress?: (done: number, total: number) => void,
): Promise<void> {
  const gate = new QuotaGate(METADATA_RATE);
  let next = 0;
  let done = 0;
  progress?.(0, imageSets.length);
  const worker = async () => {
    for (let i = next++; i < imageSets.length; i = next++) {
      const { datastoreId, imageSetId, version } = imageSets[i]!;
      const content = await gate.run(() =>
        fetchMetadata(client, datastoreId, imageSetId, version || undefined),
      );
      await each(i, content);
      progress?.(++done, imageSets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, imageSets.length) }, worker));
}
