/** Jobs, their sources and their failures: saved, listed, read and deleted (with their frames). */
import { RetrieveError } from '../../core/errors';
import type { JobRecord, JobSource } from '../../core/job';
import { deleteFrameFiles } from './frameFiles';
import { jobRange, openDb, type FailureRecord } from './schema';

export async function saveJob(job: JobRecord): Promise<void> {
  const db = await openDb();
  await db.put('jobs', { ...job, updatedAt: Date.now() });
}

/**
 * Characters of sources per record: IndexedDB refuses a value over 128 MiB in places (a private
 * window: "The serialized keys and/or value are too large", with a cohort's 177 MB of metadata).
 */
const PART_CHARS = 32_000_000;

const partId = (jobId: string, k: number) => (k === 0 ? jobId : `${jobId}#${k}`);

/** Sources in groups of at most PART_CHARS characters (a larger document alone in its group). */
function partsOf(sources: JobSource[]): JobSource[][] {
  const parts: JobSource[][] = [[]];
  let size = 0;
  for (const s of sources) {
    if (size > 0 && size + s.content.length > PART_CHARS) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1]!.push(s);
    size += s.content.length;
  }
  return parts;
}

/**
 * Saves a new job with its sources, in one transaction. A browser that will not hold them (a cohort's metadata can be
 * hundreds of MB; a private window keeps storage in memory) aborts the transaction, often with no
 * error of its own: that is said in words, never as a "cancelled" job.
 */
export async function createJob(job: JobRecord, sources: JobSource[]): Promise<void> {
  const tx = (await openDb()).transaction(['jobs', 'jobSources'], 'readwrite');
  const parts = partsOf(sources);
  const puts = [
    tx.objectStore('jobs').put(job),
    ...parts.map((part, k) =>
      tx.objectStore('jobSources').put({
        id: partId(job.id, k),
        sources: part,
        ...(k === 0 && parts.length > 1 ? { parts: parts.length } : {}),
      }),
    ),
  ];
  try {
    await Promise.all([...puts, tx.done]);
  } catch (e) {
    const cause = tx.error ?? (e instanceof DOMException ? e : undefined);
    const mb = (sources.reduce((n, s) => n + s.content.length, 0) / 1e6).toFixed(0);
    const what = `the job's ${sources.length} document${sources.length === 1 ? '' : 's'} (${mb} MB of manifests and metadata)`;
    if (cause?.name === 'QuotaExceededError' || cause?.name === 'AbortError' || !cause)
      throw new RetrieveError(
        'QuotaExceeded',
        `The browser would not save ${what}: its storage for this site is full or too small (a private window keeps it in memory). Free some storage, allow persistent storage, or choose a smaller selection.`,
      );
    throw new RetrieveError('StorageFailed', `Saving ${what} failed: ${cause.message}`);
  }
}

export async function getJobSources(id: string): Promise<JobSource[] | undefined> {
  const db = await openDb();
  const first = await db.get('jobSources', id);
  if (!first?.parts) return first?.sources;
  const rest = await Promise.all(
    Array.from({ length: first.parts - 1 }, (_, k) => db.get('jobSources', partId(id, k + 1))),
  );
  const missing = rest.findIndex((r) => !r);
  if (missing >= 0)
    throw new RetrieveError(
      'StorageFailed',
      `Part ${missing + 2} of ${first.parts} of this job's manifests is missing from the browser's storage: start the job again.`,
    );
  return [...first.sources, ...rest.flatMap((r) => r!.sources)];
}

export async function getJob(id: string): Promise<JobRecord | undefined> {
  return (await openDb()).get('jobs', id);
}

export async function listJobs(): Promise<JobRecord[]> {
  const jobs = await (await openDb()).getAll('jobs');
  return jobs.sort((a, b) => b.createdAt - a.createdAt);
}

/** Deletes a job and everything stored for it. */
export async function deleteJob(id: string): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(
    ['jobs', 'jobSources', 'frames', 'frameData', 'chunks', 'failures'],
    'readwrite',
  );
  void tx.objectStore('jobs').delete(id);
  void tx.objectStore('jobSources').delete(IDBKeyRange.bound(id, `${id}#\uffff`));
  void tx.objectStore('frames').delete(jobRange(id));
  void tx.objectStore('frameData').delete(jobRange(id));
  void tx.objectStore('chunks').delete(jobRange(id));
  void tx.objectStore('failures').delete(jobRange(id));
  await tx.done;
  await deleteFrameFiles(id);
}

export async function putFailures(failures: FailureRecord[]): Promise<void> {
  if (failures.length === 0) return;
  const tx = (await openDb()).transaction('failures', 'readwrite');
  for (const f of failures) void tx.store.put(f);
  await tx.done;
}

/** Keys of the frames a job has failure records for (an earlier run's). */
export async function failureKeys(jobId: string): Promise<Set<string>> {
  const keys = await (await openDb()).getAllKeys('failures', jobRange(jobId));
  return new Set(keys.map((k) => k[1]));
}

/** A job's failures with their reasons. */
export async function getFailures(jobId: string): Promise<FailureRecord[]> {
  return (await openDb()).getAll('failures', jobRange(jobId));
}
