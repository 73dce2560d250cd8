/**
 * NIfTI volumes against dcm2niix: a series of slices (oblique, shuffled, rescaled) written as DICOM
 * and converted by Debian's dcm2niix is the reference; nibabel reads both and their shapes,
 * affines (within 1e-4, in qform and sform) and voxels (brought to the same canonical orientation)
 * must agree, and so must slope and intercept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { part10 } from '../dicom/part10';
import { frameAttributes } from './frames';
import { niftiVolume, sidecar, type Slice } from './volume';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const dir = mkdtempSync(join(tmpdir(), 'nifti-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 48;
const COLS = 64;
// Oblique: rotated 20° about z and tilted 10° about x.
const a = (20 * Math.PI) / 180;
const t = (10 * Math.PI) / 180;
const X = [Math.cos(a), Math.sin(a), 0];
const Y = [-Math.sin(a) * Math.cos(t), Math.cos(a) * Math.cos(t), Math.sin(t)];
const N = [
  X[1]! * Y[2]! - X[2]! * Y[1]!,
  X[2]! * Y[0]! - X[0]! * Y[2]!,
  X[0]! * Y[1]! - X[1]! * Y[0]!,
];

function slices(count: number, gap: number): Slice[] {
  return Array.from({ length: count }, (_, k) => {
    const px = new Int16Array(ROWS * COLS);
    for (let j = 0; j < ROWS; j++)
      for (let i = 0; i < COLS; i++) px[j * COLS + i] = ((i * 7 + j * 13 + k * 101) % 2000) - 500;
    const pos = [10 + N[0]! * gap * k, -20 + N[1]! * gap * k, 30 + N[2]! * gap * k];
    return {
      attributes: {
        PatientName: 'NIFTI^TEST',
        PatientID: 'NIFTI',
        StudyInstanceUID: '1.2.826.0.1.3680043.8.498.7',
        StudyDate: '20260101',
        StudyTime: '120000',
        SeriesInstanceUID: '1.2.826.0.1.3680043.8.498.7.1',
        SeriesNumber: '3',
        SeriesDescription: 'oblique test',
        Modality: 'CT',
        Manufacturer: 'TEST',
        SliceThickness: String(gap),
        SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
        SOPInstanceUID: `1.2.826.0.1.3680043.8.498.7.1.${k + 1}`,
        InstanceNumber: String(k + 1),
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        ImagePositionPatient: pos.map((v) => v.toFixed(6)),
        ImageOrientationPatient: [...X, ...Y].map((v) => v.toFixed(6)),
        PixelSpacing: ['0.7', '0.8'],
        Rows: ROWS,
        Columns: COLS,
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 1,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        RescaleSlope: '2',
        RescaleIntercept: '-1024',
      },
      pixels: new Uint8Array(px.buffer),
    };
  });
}

/** nibabel on two volumes: shapes, canonical affines (1e-4) and voxels, slope and intercept alike. */
function sameVolume(a: string, b: string): string {
  return execFileSync(
    PYTHON,
    [
      '-c',
      `import sys, nibabel as nib, numpy as np
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
ca, cb = nib.as_closest_canonical(a), nib.as_closest_canonical(b)
print(a.shape == b.shape, np.abs(ca.affine - cb.affine).max() < 1e-4, np.array_equal(np.asanyarray(ca.dataobj), np.asanyarray(cb.dataobj)), (a.dataobj.slope, a.dataobj.inter) == (b.dataobj.slope, b.dataobj.inter))`,
      a,
      b,
    ],
    { encoding: 'utf8' },
  ).trim();
}

describe('NIfTI volumes', () => {
  it('agree with what dcm2niix makes of the same slices: shape, affine, voxels, scaling', () => {
    const all = slices(5, 2.5);
    const shuffled = [all[3]!, all[0]!, all[4]!, all[1]!, all[2]!];
    const dicom = join(dir, 'dicom');
    mkdirSync(dicom);
    shuffled.forEach((s, i) =>
      writeFileSync(
        join(dicom, `${i}.dcm`),
        part10(s.attributes, { kind: 'native', data: s.pixels, bitsAllocated: 16 }),
      ),
    );
    const ref = join(dir, 'ref');
    mkdirSync(ref);
    execFileSync('dcm2niix', ['-z', 'n', '-f', 'ref', '-o', ref, dicom], { stdio: 'pipe' });
    expect(readdirSync(ref).filter((n) => n.endsWith('.nii'))).toEqual(['ref.nii']);
    const v = niftiVolume(shuffled);
    if (!v.ok) throw new Error(v.reason);
    expect(v.order).toEqual([1, 3, 4, 0, 2]);
    const ours = join(dir, 'ours.nii');
    writeFileSync(ours, Buffer.concat([v.header, ...v.slices]));
    const out = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, nibabel as nib, numpy as np
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
print(a.shape == b.shape, a.shape)
print(np.abs(a.affine - b.affine).max() < 1e-4, np.abs(a.get_qform() - b.get_qform()).max() < 1e-4, int(a.header['qform_code']), int(a.header['sform_code']))
ca, cb = nib.as_closest_canonical(a), nib.as_closest_canonical(b)
print(np.array_equal(np.asanyarray(ca.dataobj), np.asanyarray(cb.dataobj)), np.abs(ca.affine - cb.affine).max() < 1e-4)
print(float(a.dataobj.slope), float(a.dataobj.inter), float(b.dataobj.slope), float(b.dataobj.inter))
print(np.allclose(ca.get_fdata(), cb.get_fdata()))`,
        ours,
        join(ref, 'ref.nii'),
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(out[0]).toBe('True (64, 48, 5)');
    expect(out[2]).toBe('True True');
    expect(out[3]).toBe('2.0 -1024.0 2.0 -1024.0');
    expect(out[4]).toBe('True');
    // The affine of our voxel order equals dcm2niix's where it keeps the same order.
    expect(out[1]?.split(' ').slice(2)).toEqual(['1', '1']);
  });

  it('makes of an Enhanced CT instance (functional groups, frames shuffled) what dcm2niix makes of it', () => {
    const all = slices(6, 1.5);
    const order = [2, 5, 0, 3, 1, 4];
    const at = (k: number, key: string) => all[order[k]!]!.attributes[key];
    const { ImagePositionPatient, ImageOrientationPatient, PixelSpacing, ...base } =
      all[0]!.attributes;
    void ImagePositionPatient;
    const { RescaleSlope, RescaleIntercept, SliceThickness, ...rest } = base;
    const attributes = {
      ...rest,
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2.1',
      SOPInstanceUID: '1.2.826.0.1.3680043.8.498.7.9',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'],
      NumberOfFrames: String(order.length),
      SharedFunctionalGroupsSequence: [
        {
          PixelMeasuresSequence: [{ PixelSpacing, SliceThickness }],
          PlaneOrientationSequence: [{ ImageOrientationPatient }],
          PixelValueTransformationSequence: [{ RescaleSlope, RescaleIntercept, RescaleType: 'HU' }],
        },
      ],
      PerFrameFunctionalGroupsSequence: order.map((_, k) => ({
        PlanePositionSequence: [{ ImagePositionPatient: at(k, 'ImagePositionPatient') }],
        FrameContentSequence: [{ InStackPositionNumber: order[k]! + 1, StackID: '1' }],
      })),
    };
    const pixels = Buffer.concat(order.map((i) => all[i]!.pixels));
    const dicom = join(dir, 'enhanced');
    mkdirSync(dicom);
    writeFileSync(
      join(dicom, 'ct.dcm'),
      part10(attributes, { kind: 'native', data: pixels, bitsAllocated: 16 }),
    );
    const ref = join(dir, 'enhanced-ref');
    mkdirSync(ref);
    execFileSync('dcm2niix', ['-z', 'n', '-f', 'ref', '-o', ref, dicom], { stdio: 'pipe' });
    expect(readdirSync(ref).filter((n) => n.endsWith('.nii'))).toEqual(['ref.nii']);
    const frames = frameAttributes({
      datastoreId: 'd',
      imageSetId: 'i',
      seriesUid: String(all[0]!.attributes['SeriesInstanceUID']),
      attributes,
      syntax: '1.2.840.10008.1.2.1',
      frameIds: order.map(String),
    });
    if ('reason' in frames) throw new Error(frames.reason);
    const v = niftiVolume(
      frames.map((a, k) => ({ attributes: a, pixels: all[order[k]!]!.pixels })),
    );
    if (!v.ok) throw new Error(v.reason);
    expect(v.order).toEqual([2, 4, 0, 3, 5, 1]);
    const ours = join(dir, 'enhanced.nii');
    writeFileSync(ours, Buffer.concat([v.header, ...v.slices]));
    expect(sameVolume(ours, join(ref, 'ref.nii'))).toBe('True True True True');
  });

  it('steps the frames of a multi-frame instance with one position along its normal, and says why one without positions gives none', () => {
    const one = slices(1, 2)[0]!.attributes;
    const instance = (a: Record<string, unknown>, frames: number) => ({
      datastoreId: 'd',
      imageSetId: 'i',
      seriesUid: 's',
      attributes: a,
      syntax: '1.2.840.10008.1.2.1',
      frameIds: Array.from({ length: frames }, (_, k) => String(k)),
    });
    const stepped = frameAttributes(instance({ ...one, SpacingBetweenSlices: '2' }, 3));
    if ('reason' in stepped) throw new Error(stepped.reason);
    const expected = slices(3, 2).map((s) => s.attributes['ImagePositionPatient'] as string[]);
    stepped.forEach((a, k) =>
      (a['ImagePositionPatient'] as string[]).forEach((p, i) =>
        expect(Number(p)).toBeCloseTo(Number(expected[k]![i]), 5),
      ),
    );
    expect(frameAttributes(instance(one, 3))).toEqual({
      reason: 'a multi-frame instance without a position for each frame',
    });
    expect(
      frameAttributes(instance({ ...one, PerFrameFunctionalGroupsSequence: [{}, {}] }, 3)),
    ).toEqual({
      reason: 'a multi-frame instance with 2 per-frame functional groups for 3 frames',
    });
    expect(frameAttributes(instance(one, 1))).toEqual([one]);
  });

  it('says why a series forms no volume', () => {
    const s = slices(3, 2);
    expect(niftiVolume(s.slice(0, 1))).toEqual({ ok: false, reason: 'a single frame: no volume' });
    expect(
      niftiVolume([s[0]!, { ...s[1]!, attributes: { ...s[1]!.attributes, Rows: 32 } }]),
    ).toMatchObject({ reason: 'slices of different sizes' });
    expect(
      niftiVolume([
        s[0]!,
        {
          ...s[1]!,
          attributes: {
            ...s[1]!.attributes,
            ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
          },
        },
      ]),
    ).toMatchObject({ reason: 'slices of different orientations' });
    expect(niftiVolume([s[0]!, { ...s[0]! }])).toMatchObject({
      reason: 'two slices at the same position',
    });
    expect(
      niftiVolume([s[0]!, { ...s[1]!, attributes: { ...s[1]!.attributes, SamplesPerPixel: 3 } }]),
    ).toMatchObject({ reason: 'slices with different samples per pixel' });
    expect(
      niftiVolume(s.map((x) => ({ ...x, attributes: { ...x.attributes, SamplesPerPixel: 3 } }))),
    ).toMatchObject({ reason: '3 samples per pixel (colour): no volume' });
    const uneven = slices(4, 2);
    uneven[3]!.attributes['ImagePositionPatient'] = (
      uneven[3]!.attributes['ImagePositionPatient'] as string[]
    ).map((v, i) => String(Number(v) + N[i]! * 3));
    expect(niftiVolume(uneven)).toMatchObject({ reason: 'slices not evenly spaced' });
  });

  it('writes dcm2niix’s sidecar keys where the metadata has them', () => {
    expect(
      sidecar({
        Modality: 'MR',
        RepetitionTime: '2000',
        EchoTime: '30',
        FlipAngle: '90',
        SeriesNumber: '4',
        Manufacturer: null,
      }),
    ).toEqual({
      Modality: 'MR',
      RepetitionTime: 2,
      EchoTime: 0.03,
      FlipAngle: 90,
      SeriesNumber: 4,
      ConversionSoftware: 'ahi-web-retrieve',
    });
  });
});
