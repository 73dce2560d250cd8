/**
 * The one module that opens IndexedDB: the schema and its upgrades. Jobs (settings without
 * secrets, state, totals), their sources, stored frames' records keyed by [jobId, frameKey], and
 * failures with their reasons live here; frame bytes live in OPFS files (frameFiles.ts). No store
 * has an index: every key starts with the job's ID, so a key range finds a job's records.
 */
import {
  openDB,
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  type StoreNames,
} from 'idb';
import type { ErrorInfo } from '../../core/errors';
import type { JobRecord, JobSource } from '../../core/job';
import type { StoredFrame } from '../../core/sink';
import type { LegacyFrameFields, StoredChunk, StoredFrameData } from './legacy';

export const DB_NAME = 'ahi-web-retrieve';
const DB_VERSION = 3;

export interface FailureRecord {
  jobId: string;
  key: string;
  error: ErrorInfo;
  attempts: number;
  at: number;
}

interface Schema extends DBSchema {
  jobs: { key: string; value: JobRecord };
  /**
   * written once per job, apart from the record that is saved every few seconds; a job whose
   * sources are large (a cohort's metadata) keeps them in `parts` records: the first under the
   * job's ID, the others under `${id}#1`, `${id}#2`… (jobs.ts)
   */
  jobSources: { key: string; value: { id: string; sources: JobSource[]; parts?: number } };
  frames: { key: [string, string]; value: StoredFrame & LegacyFrameFields };
  /** earlier versions' frame bytes (legacy.ts): read, no longer written */
  frameData: { key: [string, string]; value: StoredFrameData };
  chunks: { key: [string, string]; value: StoredChunk };
  failures: { key: [string, string]; value: FailureRecord };
}

export type Db = IDBPDatabase<Schema>;

/**
 * Creates what each version added and drops what it removed, from the version the database had,
 * inside the upgrade's own transaction.
 */
export function upgradeSchema(
  db: Db,
  oldVersion: number,
  tx: IDBPTransaction<Schema, StoreNames<Schema>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    db.createObjectStore('jobs', { keyPath: 'id' });
    db.createObjectStore('jobSources', { keyPath: 'id' });
    db.createObjectStore('frames', { keyPath: ['jobId', 'key'] });
    db.createObjectStore('frameData', { keyPath: ['jobId', 'key'] });
    db.createObjectStore('failures', { keyPath: ['jobId', 'key'] });
  }
  if (oldVersion < 2) db.createObjectStore('chunks', { keyPath: ['jobId', 'id'] });
  // Versions 1 and 2 had a byJob index on frames and failures.
  if (oldVersion >= 1 && oldVersion < 3) {
    for (const store of ['frames', 'failures'] as const) {
      const s = tx.objectStore(store) as unknown as IDBObjectStore;
      if (s.indexNames.contains('byJob')) s.deleteIndex('byJob');
    }
  }
}

let opening: Promise<Db> | undefined;

/** Opens (once per realm) the database. */
export function openDb(): Promise<Db> {
  opening ??= openDB<Schema>(DB_NAME, DB_VERSION, {
    upgrade: (db, oldVersion, _newVersion, tx) => upgradeSchema(db, oldVersion, tx),
    blocking() {
      // Another tab wants a newer schema: let it.
      void opening?.then((db) => db.close());
      opening = undefined;
    },
  });
  return opening;
}

/** Every record of a job, in a store keyed by [jobId, …]. */
export const jobRange = (jobId: string) => IDBKeyRange.bound([jobId, ''], [jobId, '\uffff']);
