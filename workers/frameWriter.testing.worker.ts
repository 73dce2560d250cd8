/**
 * For browser tests: a FrameWriter in a dedicated worker, where it runs in the app (its files'
 * synchronous access handles exist in dedicated workers only).
 */
import { expose } from 'comlink';
import { FrameWriter, openDb, type StoredFrame } from '../src/io/db';

let writer: FrameWriter | undefined;

const api = {
  /**
   * Puts the frames at once, overwrites each source buffer as soon as put() has returned (a pooled
   * body is reused at once), then waits: each frame's outcome, the bytes pending after.
   */
  async putAll(
    entries: { frame: StoredFrame; bytes: Uint8Array; failedBefore?: boolean }[],
  ): Promise<{ outcomes: string[]; pendingBytes: number }> {
    writer ??= new FrameWriter(await openDb());
    const w = writer;
    const puts = entries.map(({ frame, bytes, failedBefore }) =>
      w.put(frame, bytes, failedBefore).then(
        () => 'stored',
        (e: unknown) => (e as DOMException).name,
      ),
    );
    for (const { bytes } of entries) bytes.fill(0xee);
    const outcomes = await Promise.all(puts);
    return { outcomes, pendingBytes: w.pendingBytes };
  },
  async close(): Promise<void> {
    await writer?.close();
    writer = undefined;
  },
};

export type TestWriterApi = typeof api;
expose(api);
