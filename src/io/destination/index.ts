/**
 * A job's destination folder as the library worker keeps it (core/destination.ts): what a resume
 * may skip (each frame's file checked), the parts handed over as the workers write them, and the
 * end of the job (the files still to assemble, then the index). One assembler per job, made on
 * first use; a resume makes a new one.
 */
import { RetrieveError } from '../../core/errors';
import { getJob } from '../store';
import type { DestinationSummary } from '../../core/destination';
import { Folder } from '../folder';
import { Assembler } from './assembler';
import { intactFrames } from './intact';
import { storeRecords } from './records';

const assemblers = new Map<string, Promise<Assembler>>();

function assembler(jobId: string): Promise<Assembler> {
  let a = assemblers.get(jobId);
  if (!a) {
    a = Assembler.open(jobId);
    a.catch(() => assemblers.delete(jobId));
    assemblers.set(jobId, a);
  }
  return a;
}

/**
 * A resume: the keys of the frames intact in the folder (what is not among them is fetched
 * again), with the files whose parts are all in assembled meanwhile.
 */
export async function openDestination(jobId: string): Promise<string[]> {
  const root = (await getJob(jobId))?.destination?.root;
  if (!root) throw new RetrieveError('NotFound', `Job ${jobId} has no destination folder.`);
  const a = Assembler.open(jobId);
  assemblers.set(jobId, a);
  const { intact, records } = await intactFrames(storeRecords(jobId), new Folder(root));
  (await a).resumeFrom(intact, records);
  return [...intact];
}

/** Frames the workers wrote (their parts): files now complete are assembled. */
export async function partsWritten(jobId: string, keys: string[]): Promise<void> {
  const a = await assembler(jobId);
  if (a.error !== undefined) throw a.error;
  a.partsIn(keys);
}

/** A paused job resumes: what waits to be assembled is tried again. */
export async function retryDestination(jobId: string): Promise<void> {
  (await assembler(jobId)).retry();
}

/** The job ended (`total` frames planned): assembling finished, the index written. */
export async function finishDestination(jobId: string, total: number): Promise<DestinationSummary> {
  return (await assembler(jobId)).finish(total);
}
