/**
 * The sinks registry: where a job's retrieval workers put verified frames (core/sink.ts), chosen by
 * the job's SinkChoice: the browser's store, or a destination folder written while downloading.
 * A new kind is one module and one case here.
 */
import type { WorkerConfig } from '../../core/protocol';
import type { FrameSink } from '../../core/sink';
import { RetrieveError } from '../../core/errors';
import { FrameWriter, openDb } from '../store';
import { FolderSink } from './folder';

/** The sink a retrieval worker writes to; none for `mem` (decode and discard) or without a job. */
export async function openSink(config: WorkerConfig): Promise<FrameSink | undefined> {
  if (!config.jobId || config.format === 'mem') return undefined;
  switch (config.sink.kind) {
    case 'browser':
      return new FrameWriter(await openDb());
    case 'folder':
      return FolderSink.open(await openDb(), config.sink.root, config.sink.format);
    case 'path':
      throw new RetrieveError(
        'BadInput',
        `A folder by path (${config.sink.dir}) is written by the command-line runner, not a browser.`,
      );
  }
}
