/** For tests: a stored frame's description with plausible fields, as the retrieval worker writes it. */
import type { StoredFrame } from '../src/core/sink';

export const storedFrame = (jobId: string, key: string, size = 0): StoredFrame => ({
  jobId,
  key,
  datastoreId: 'd'.repeat(32),
  imageSetId: 'i'.repeat(32),
  frameId: key,
  kind: 'codestream',
  contentType: 'image/jph',
  size,
  verified: true,
  storedAt: Date.now(),
});
