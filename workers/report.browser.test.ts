import { describe, expect, it } from 'vitest';
import type { WorkerReport } from '../src/core/protocol';
import { postReport } from './report';

describe('worker reports', () => {
  it('transfer preview pixel buffers (the source is detached) and deliver them intact', async () => {
    const data = new Uint16Array([1, 2, 3, 4]).buffer;
    const report: WorkerReport = {
      previews: [
        {
          key: 'a',
          pixels: { width: 2, height: 2, bitsPerSample: 16, signed: false, components: 1, data },
        },
      ],
      results: [
        {
          key: 'b',
          outcome: 'stored',
          bytes: 8,
          timings: { requestMs: 0, bodyMs: 0, decodeMs: 0, crcMs: 0 },
        },
      ],
      stats: {
        workerId: 0,
        queued: 0,
        inFlight: 0,
        done: 2,
        failed: 0,
        bytes: 16,
        decodeMs: 0,
        decoded: 1,
        requestMs: 0,
        bodyMs: 0,
        crcMs: 0,
        storeMs: 0,
        pendingWriteBytes: 0,
      },
    };
    const channel = new MessageChannel();
    const received = new Promise<WorkerReport>(
      (resolve) => (channel.port2.onmessage = (e: MessageEvent<WorkerReport>) => resolve(e.data)),
    );
    postReport(channel.port1, report);
    expect(data.byteLength).toBe(0);
    const got = await received;
    expect(got.previews?.[0]?.key).toBe('a');
    expect([...new Uint16Array(got.previews![0]!.pixels.data)]).toEqual([1, 2, 3, 4]);
    expect(got.results[0]?.key).toBe('b');
  });
});
