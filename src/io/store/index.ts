/**
 * The browser's store, bytes in OPFS files and records in IndexedDB: what the rest of the app may
 * use of it. schema.ts is the only module that opens IndexedDB.
 */
export { DB_NAME, openDb, upgradeSchema, type Db, type FailureRecord } from './schema';
export { FRAME_FILE_OPEN } from './frameFiles';
export { FrameWriter } from './frameWriter';
export { RecordCommitter } from './records';
export {
  createJob,
  deleteJob,
  failureKeys,
  getFailures,
  getJob,
  getJobSources,
  listJobs,
  putFailures,
  saveJob,
} from './jobs';
export {
  frameBatches,
  getFrameRecords,
  getStoredFrame,
  putFrameRecords,
  readStoredFrames,
  storedFrameKeys,
} from './frames';
export { hasRoomFor } from './room';
