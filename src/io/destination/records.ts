/**
 * A destination's frame records as its assembler and resume check read and update them: in
 * IndexedDB for the app's jobs (`storeRecords`), in the output folder's journal for the
 * command-line runner (runner/journal.ts).
 */
import type { StoredFrame } from '../../core/sink';
import { frameBatches, getFrameRecords, putFrameRecords } from '../store';

export interface DestinationRecords {
  /** the records of these frames (undefined: none) */
  get(keys: string[]): Promise<(StoredFrame | undefined)[]>;
  /** replaces these frames' records */
  put(records: StoredFrame[]): Promise<void>;
  /** every record, `size` at a time, in key order */
  batches(size: number): AsyncIterable<StoredFrame[]>;
}

/** A job's records in the browser's store. */
export const storeRecords = (jobId: string): DestinationRecords => ({
  get: (keys) => getFrameRecords(jobId, keys),
  put: (records) => putFrameRecords(records),
  batches: (size) => frameBatches(jobId, size),
});
