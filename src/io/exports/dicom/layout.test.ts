/**
 * Where a destination folder's viewer finds each frame inside the DICOM file it was written into:
 * frameLayouts' two candidates against files dcmjs wrote, native and encapsulated (odd lengths
 * padded), found byte for byte by the layout that holds and not by the other.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frameLayouts } from '.';
import { part10, type Attributes } from './part10';

const attributes: Attributes = {
  PatientID: 'P',
  StudyInstanceUID: '1.2.3',
  SeriesInstanceUID: '1.2.3.4',
  SOPInstanceUID: '1.2.3.4.5',
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.7.2',
  Modality: 'OT',
  Rows: 512,
  Columns: 512,
  SamplesPerPixel: 1,
  BitsAllocated: 16,
  BitsStored: 16,
  HighBit: 15,
  PixelRepresentation: 0,
  PhotometricInterpretation: 'MONOCHROME2',
};

const at = (file: Uint8Array, offset: number, frame: Uint8Array) =>
  offset >= 0 && Buffer.compare(file.subarray(offset, offset + frame.length), frame) === 0;

describe('frame layouts in a DICOM file', () => {
  it('encapsulated fragments, an odd one among them, are found where the second layout says', () => {
    const j2c = new Uint8Array(readFileSync('ahi-server/fixtures/htj2k/CT1.j2c'));
    const frames = [j2c, j2c.subarray(0, j2c.length - 1), j2c.subarray(0, 1000)];
    const file = part10(attributes, {
      kind: 'encapsulated',
      transferSyntax: '1.2.840.10008.1.2.4.202',
      frames,
    });
    const [native, encapsulated] = frameLayouts(
      file.length,
      frames.map((f) => f.length),
    );
    expect(frames.every((f, i) => at(file, encapsulated![i]!, f))).toBe(true);
    expect(frames.every((f, i) => at(file, native![i]!, f))).toBe(false);
  });

  it('native frames back to back are found where the first layout says', () => {
    const frames = [1, 2, 3].map((k) => new Uint8Array(512 * 512 * 2).map((_, i) => (i * k) & 255));
    const all = new Uint8Array(frames.length * frames[0]!.length);
    frames.forEach((f, i) => all.set(f, i * f.length));
    const file = part10(
      { ...attributes, NumberOfFrames: '3' },
      { kind: 'native', data: all, bitsAllocated: 16 },
    );
    const [native, encapsulated] = frameLayouts(
      file.length,
      frames.map((f) => f.length),
    );
    expect(frames.every((f, i) => at(file, native![i]!, f))).toBe(true);
    expect(frames.every((f, i) => at(file, encapsulated![i]!, f))).toBe(false);
  });
});
