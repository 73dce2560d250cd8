/** Jobs, their sources and their failures: saved, listed, read and deleted (with their frames). */
import type { JobRecord, JobSource } from '../../core/job';
import { deleteFrameFiles } from './frameFiles';
import { jobRange, openDb, type FailureRecord } from './schema';

export async function saveJob(job: JobRecord): Promise<void> {
  const db = await openDb();
  await db.put('jobs', { ...job, updatedAt: Date.now() });
}

/** Saves a new job with its sources, in one transaction. */
export async function createJob(job: JobRecord, sources: JobSource[]): Promise<void> {
  const tx = (await openDb()).transaction(['jobs', 'jobSources'], 'readwrite');
  void tx.objectStore('jobs').put(job);
  void tx.objectStore('jobSources').put({ id: job.id, sources });
  await tx.done;
}

export async function getJobSources(id: string): Promise<JobSource[] | undefined> {
  return (await (await openDb()).get('jobSources', id))?.sources;
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
  void tx.objectStore('jobSources').delete(id);
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
