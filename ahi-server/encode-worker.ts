/**
 * Worker thread that renders and encodes a range of phantom slices with the codec's own HTJ2K
 * encoder, then decodes each result to prove it is lossless and to compute the checksums AHI
 * publishes (full resolution and two sub-resolutions).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { PHANTOM_SIZE, renderSlice } from './phantom';
import type { EncodedSlice, EncodeJob } from './synthetic';

const job = workerData as EncodeJob;
const codec = await createOpenJph();
const encoder = new codec.HTJ2KEncoder();
const decoder = new codec.HTJ2KDecoder();
const n = PHANTOM_SIZE;
const frameInfo = {
  width: n,
  height: n,
  bitsPerSample: 12,
  componentCount: 1,
  isSigned: false,
  isUsingColorTransform: false,
};

for (let index = job.from; index < job.to; index++) {
  const src = encoder.getDecodedBuffer(frameInfo);
  const pixels = new Uint16Array(src.buffer, src.byteOffset, n * n);
  renderSlice(index, job.count, pixels);
  const bytes = new Uint8Array(src.buffer, src.byteOffset, n * n * 2);
  const checksum = crc32(bytes) >>> 0;
  let min = 65535;
  let max = 0;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  encoder.encode();
  const codestream = Uint8Array.from(encoder.getEncodedBuffer());
  decoder.getEncodedBuffer(codestream.length).set(codestream);
  const levels: EncodedSlice['levels'] = [];
  for (const level of [2, 1, 0]) {
    decoder.decodeSubResolution(level);
    const err = decoder.getLastErrorMessage();
    if (err) throw new Error(`slice ${index}: decode failed: ${err}`);
    const size = decoder.calculateSizeAtDecompositionLevel(level);
    levels.push({
      width: size.width,
      height: size.height,
      checksum: crc32(decoder.getDecodedBuffer()) >>> 0,
    });
  }
  if (levels[2]?.checksum !== checksum) throw new Error(`slice ${index}: encode is not lossless`);
  const slice: EncodedSlice = { index, codestream, min, max, levels };
  parentPort?.postMessage(slice, [codestream.buffer]);
}
parentPort?.postMessage('done');
