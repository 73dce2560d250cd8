/**
 * Source: a cohort, image sets chosen in a search. Each image set's metadata document is fetched
 * (it is that image set's manifest, checksums included) within GetImageSetMetadata's quota
 * (io/metadata.ts: 50 requests/s, a few at a time), throttling retried and 409s waited out, with
 * progress per image set. An image set that cannot be read stops the preparation with its ID in the message:
 * nothing is stored before every document is in.
 */
import { RetrieveError } from '../../core/errors';
import { AHI_ID_RE } from '../../core/ids';
import type { JobSource } from '../../core/job';
import type { SourceRequest } from '../../core/protocol';
import type { AhiClient } from '../ahiClient';
import { fetchMetadataDocuments, metadataName } from '../metadata';

export async function cohortSources(
  req: Extract<SourceRequest, { kind: 'cohort' }>,
  client: AhiClient,
  progress?: (done: number, total: number) => void,
): Promise<JobSource[]> {
  const ds = req.datastoreId.trim();
  if (!AHI_ID_RE.test(ds))
    throw new RetrieveError(
      'BadInput',
      `Datastore ID "${ds}" should be 32 lowercase letters or digits.`,
    );
  if (req.imageSets.length === 0)
    throw new RetrieveError(
      'BadInput',
      'No image sets are selected: select some in the search results.',
    );
  const bad = req.imageSets.find((s) => !AHI_ID_RE.test(s.imageSetId));
  if (bad)
    throw new RetrieveError(
      'BadInput',
      `Image set ID "${bad.imageSetId}" should be 32 lowercase letters or digits.`,
    );
  const contents = await fetchMetadataDocuments(
    client,
    req.imageSets.map((s) => ({ datastoreId: ds, ...s })),
    progress,
  );
  return contents.map((content, i) => ({
    name: metadataName(req.imageSets[i]!.imageSetId),
    content,
    role: 'manifest',
  }));
}
