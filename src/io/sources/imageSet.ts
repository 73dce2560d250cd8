/** Source: one image set by datastore and image set ID; its metadata document is the manifest. */
import { RetrieveError } from '../../core/errors';
import { AHI_ID_RE } from '../../core/ids';
import type { JobSource } from '../../core/job';
import type { SourceRequest } from '../../core/protocol';
import type { AhiClient } from '../ahiClient';
import { fetchMetadata } from '../metadata';

export async function imageSetSources(
  req: Extract<SourceRequest, { kind: 'imageSet' }>,
  client: AhiClient,
): Promise<JobSource[]> {
  const ds = req.datastoreId.trim();
  const is = req.imageSetId.trim();
  if (!AHI_ID_RE.test(ds))
    throw new RetrieveError(
      'BadInput',
      `Datastore ID "${ds}" should be 32 lowercase letters or digits.`,
    );
  if (!AHI_ID_RE.test(is))
    throw new RetrieveError(
      'BadInput',
      `Image set ID "${is}" should be 32 lowercase letters or digits.`,
    );
  const version = req.version.trim();
  if (version && !/^\d+$/.test(version))
    throw new RetrieveError('BadInput', `Version "${version}" should be a whole number.`);
  return [
    {
      name: `image set ${is}${version ? ` v${version}` : ''}`,
      content: await fetchMetadata(client, ds, is, version || undefined),
      role: 'manifest',
    },
  ];
}
