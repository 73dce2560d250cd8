/**
 * For browser tests: a FrameWriter in a dedicated worker, where it runs in the app (its files'
 * synchronous access handles exist in dedicated workers only).
 */
import { expose } from 'comlink';
import type { StoredFrame } from '../src/core/sink';
import { FRAME_FILE_OPEN, FrameWriter, openDb } from '../src/io/store';

let writer: FrameWriter | undefined;
const held: (() => void)[] = [];

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
        (e: unknown) => (e as { code?: string }).code ?? (e as DOMException).name,
      ),
    );
    for (const { bytes } of entries) bytes.fill(0xee);
    const outcomes = await Promise.all(puts);
    return { outcomes, pendingBytes: w.pendingBytes };
  },
  /**
   * Holds the next `count` frame files' opens until releaseOpens(), as Chromium sometimes never
   * opens one; the writer gives an open up after `timeoutMs`.
   */
  holdOpens(count: number, timeoutMs: number): void {
    FRAME_FILE_OPEN.timeoutMs = timeoutMs;
    type Opener = { createSyncAccessHandle: (this: Opener) => Promise<unknown> };
    const proto = FileSystemFileHandle.prototype as unknown as Opener;
    const open = proto.createSyncAccessHandle;
    let left = count;
    proto.createSyncAccessHandle = function (this: Opener) {
      if (left-- <= 0) return open.call(this);
      return new Promise((resolve, reject) =>
        held.push(() => void open.call(this).then(resolve, reject)),
      );
    };
  },
  releaseOpens(): void {
    for (const go of held.splice(0)) go();
  },
  async close(): Promise<void> {
    await writer?.close();
    writer = undefined;
  },
};

export type TestWriterApi = typeof api;
expose(api);
