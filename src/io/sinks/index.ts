/**
 * The sinks registry: where a job's retrieval workers put verified frames (core/sink.ts), chosen by
 * the job's SinkChoice. Today the browser's store; a folder on disk written while downloading is
 * the next kind: one module and one case here.
 */
import type { WorkerConfig } from '../../core/protocol';
import type { FrameSink } from '../../core/sink';
import { FrameWriter, openDb } from '../store';

/** The sink a retrieval worker writes to; none for `mem` (decode and discard) or without a job. */
export async function openSink(config: WorkerConfig): Promise<FrameSink | undefined> {
  if (!config.jobId || config.format === 'mem') return undefined;
  switch (config.sink.kind) {
    case 'browser':
      return new FrameWriter(await openDb());
  }
}
