import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipStream } from './gzip';

async function gzipped(chunks: Uint8Array[]): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  return new Uint8Array(await new Response(input.pipeThrough(gzipStream())).arrayBuffer());
}

describe('gzip for .nii.gz', () => {
  it('gives the same bytes however the input is cut, no time stamped, and zlib reads it back', async () => {
    // 3.5 MiB of 12-bit-like samples: several pieces and a short last one.
    const data = new Uint8Array(3.5 * (1 << 20));
    for (let i = 0; i < data.length; i++)
      data[i] = (i & 1 ? (i >> 7) & 0x0f : (i * 31) >> 3) & 0xff;
    const whole = await gzipped([data]);
    const cuts = [1, 777, 65536, 1 << 20, 3_000_000];
    const pieces = cuts.map((c, i) => data.subarray(i ? cuts[i - 1] : 0, c));
    pieces.push(data.subarray(cuts.at(-1)));
    expect(Buffer.from(await gzipped(pieces)).equals(Buffer.from(whole))).toBe(true);
    expect([...whole.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
    expect([...whole.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(gunzipSync(whole).equals(Buffer.from(data))).toBe(true);
  });
});
