import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipMembers, memberCuts, MEMBER_BYTES } from './gzip';

async function gzipped(chunks: Uint8Array[], cuts: number[]) {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  const { stream, members } = gzipMembers(cuts);
  const bytes = new Uint8Array(await new Response(input.pipeThrough(stream)).arrayBuffer());
  return { bytes, members };
}

describe('gzip for .nii.gz', () => {
  // A volume's bytes: a 352-byte header, then 7 slices of 600 KiB of 12-bit-like samples.
  const header = 352;
  const slice = 600 * 1024;
  const data = new Uint8Array(header + 7 * slice);
  for (let i = 0; i < data.length; i++) data[i] = (i & 1 ? (i >> 7) & 0x0f : (i * 31) >> 3) & 0xff;
  const cuts = memberCuts(header, slice, 7);

  it('starts members at slice boundaries, each holding at least 1 MiB but the last', () => {
    expect(cuts).toEqual([0, header + 2 * slice, header + 4 * slice, header + 6 * slice]);
    for (const c of cuts.slice(1)) expect((c - header) % slice).toBe(0);
    expect(cuts.slice(1).every((c, i) => c - cuts[i]! >= MEMBER_BYTES)).toBe(true);
    expect(memberCuts(header, 8192, 3)).toEqual([0]);
  });

  it('gives the same bytes however the input is cut, no time stamped, and zlib reads it back', async () => {
    const whole = await gzipped([data], cuts);
    const at = [1, 777, 65536, 1 << 20, header + 2 * slice, 3_000_000];
    const pieces = at.map((c, i) => data.subarray(i ? at[i - 1] : 0, c));
    pieces.push(data.subarray(at.at(-1)));
    const again = await gzipped(pieces, cuts);
    expect(Buffer.from(again.bytes).equals(Buffer.from(whole.bytes))).toBe(true);
    expect(again.members).toEqual(whole.members);
    expect([...whole.bytes.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
    expect([...whole.bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    // One stream to a reader of gzip files (zlib reads member after member).
    expect(gunzipSync(whole.bytes).equals(Buffer.from(data))).toBe(true);
  });

  it('lets each member be inflated alone: a slice is read without the volume before it', async () => {
    const { bytes, members } = await gzipped([data], cuts);
    expect(members.map((m) => m.from)).toEqual(cuts);
    for (const [i, m] of members.entries()) {
      const end = members[i + 1]?.at ?? bytes.length;
      const inflated = gunzipSync(bytes.subarray(m.at, end));
      const to = members[i + 1]?.from ?? data.length;
      expect(inflated.equals(Buffer.from(data.subarray(m.from, to))), `member ${i}`).toBe(true);
    }
  });
});
