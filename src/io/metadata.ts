/**
 * GetImageSetMetadata as planning needs it: the document's JSON text, with 409 ConflictException
 * (an image set still being processed or updated) waited out a few times before it counts.
 */
import { RetrieveError } from '../core/errors';
import type { AhiClient } from './ahiClient';

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
