/**
 * The sources registry: each kind of SourceRequest (core/protocol.ts) has one module that turns it
 * into the job's sources (manifest and metadata documents), the plan's one input. Adding a source
 * is one module and one line here.
 */
import type { JobSource } from '../../core/job';
import type { SourceRequest } from '../../core/protocol';
import type { AhiClient } from '../ahiClient';
import { cohortSources } from './cohort';
import { imageSetSources } from './imageSet';
import { manifestSources } from './manifestFiles';

type Gather<K extends SourceRequest['kind']> = (
  req: Extract<SourceRequest, { kind: K }>,
  client: AhiClient,
  /** told how many of the source's documents are in (sources that fetch several) */
  progress?: (done: number, total: number) => void,
) => JobSource[] | Promise<JobSource[]>;

const SOURCES: { [K in SourceRequest['kind']]: Gather<K> } = {
  manifest: manifestSources,
  imageSet: imageSetSources,
  cohort: cohortSources,
};

/** The documents a source request names, fetched where they live in AHI. */
export async function gatherSources(
  req: SourceRequest,
  client: AhiClient,
  progress?: (done: number, total: number) => void,
): Promise<JobSource[]> {
  const gather = SOURCES[req.kind] as Gather<SourceRequest['kind']>;
  return gather(req, client, progress);
}
