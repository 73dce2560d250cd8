/**
 * NIfTI-1 volumes from a series' slices: the slices checked to form one volume (same size,
 * orientation and pixel spacing, one sample, distinct positions), ordered along the normal of
 * their orientation by ImagePositionPatient, the real slice spacing from those positions, and the
 * LPS→RAS affine in both qform and sform (code 1, scanner), as dcm2niix writes them; rescale slope
 * and intercept in scl_slope / scl_inter with the stored integers kept. Voxels are the slices'
 * pixels in DICOM order (x along a row, y down the columns, z along the normal).
 */

/** What a slice's pixels must tell: their length (bytes in memory, or a file's part). */
export interface Sized {
  readonly length: number;
}

export interface Slice<P extends Sized = Uint8Array> {
  /** the instance's DICOM attributes (AHI's metadata, levels merged) */
  attributes: Record<string, unknown>;
  /** decoded pixels, little endian */
  pixels: P;
}

export type VolumeOutcome<P extends Sized = Uint8Array> =
  { ok: true; header: Uint8Array; slices: P[]; order: number[] } | { ok: false; reason: string };

/** A DICOM value (a list, a backslash-separated string, one value) as its numbers. */
export const nums = (v: unknown): number[] =>
  (Array.isArray(v)
    ? v
    : typeof v === 'string'
      ? v.split('\\')
      : v === undefined || v === null
        ? []
        : [v]
  )
    .map(Number)
    .filter(Number.isFinite);
const num = (v: unknown, fallback: number) => nums(v)[0] ?? fallback;

export type Vec = [number, number, number];
const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec, b: Vec): Vec => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

/** NIfTI datatype codes by DICOM pixel description. */
function datatype(bits: number, signed: boolean): { code: number; bitpix: number } | undefined {
  if (bits === 8) return signed ? { code: 256, bitpix: 8 } : { code: 2, bitpix: 8 };
  if (bits === 16) return signed ? { code: 4, bitpix: 16 } : { code: 512, bitpix: 16 };
  if (bits === 32) return signed ? { code: 8, bitpix: 32 } : { code: 768, bitpix: 32 };
  return undefined;
}

/** The quaternion of a rotation (columns: unit vectors), as nifti1_io's mat44_to_quatern. */
function quaternion(r: number[][]): { b: number; c: number; d: number; qfac: number } {
  const [r11, r12] = r[0] as [number, number, number];
  const [r21, r22] = r[1] as [number, number, number];
  const [r31, r32] = r[2] as [number, number, number];
  let [r13, r23, r33] = [r[0]![2]!, r[1]![2]!, r[2]![2]!];
  const det =
    r11 * (r22 * r33 - r32 * r23) - r12 * (r21 * r33 - r31 * r23) + r13 * (r21 * r32 - r31 * r22);
  const qfac = det < 0 ? -1 : 1;
  if (qfac < 0) {
    [r13, r23, r33] = [-r13, -r23, -r33];
  }
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** The volume's header and its slices in order, or why the series forms no volume. */
export function niftiVolume<P extends Sized>(slices: Slice<P>[]): VolumeOutcome<P> {
  if (slices.length < 2) return { ok: false, reason: 'a single frame: no volume' };
  const first = slices[0]!.attributes;
  const rows = num(first['Rows'], 0);
  const cols = num(first['Columns'], 0);
  const samples = num(first['SamplesPerPixel'], 1);
  if (samples !== 1)
    return { ok: false, reason: `${samples} samples per pixel (colour): no volume` };
  const iop = nums(first['ImageOrientationPatient']);
  const spacing = nums(first['PixelSpacing']);
  if (iop.length !== 6) return { ok: false, reason: 'no ImageOrientationPatient' };
  if (spacing.length !== 2) return { ok: false, reason: 'no PixelSpacing' };
  const type = datatype(
    num(first['BitsAllocated'], 16),
    num(first['PixelRepresentation'], 0) === 1,
  );
  if (!type)
    return { ok: false, reason: `BitsAllocated ${String(first['BitsAllocated'])}: no NIfTI type` };
  const x = iop.slice(0, 3) as Vec;
  const y = iop.slice(3, 6) as Vec;
  const c = cross(x, y);
  const length = Math.hypot(...c);
  const n = c.map((v) => v / length) as Vec;
  for (const s of slices) {
    const a = s.attributes;
    if (num(a['Rows'], 0) !== rows || num(a['Columns'], 0) !== cols)
      return { ok: false, reason: 'slices of different sizes' };
    if (num(a['SamplesPerPixel'], 1) !== samples)
      return { ok: false, reason: 'slices with different samples per pixel' };
    const o = nums(a['ImageOrientationPatient']);
    if (o.length !== 6 || o.some((v, i) => Math.abs(v - iop[i]!) > 1e-4))
      return { ok: false, reason: 'slices of different orientations' };
    const p = nums(a['PixelSpacing']);
    if (p.some((v, i) => Math.abs(v - spacing[i]!) > 1e-4))
      return { ok: false, reason: 'slices of different pixel spacing' };
    if (nums(a['ImagePositionPatient']).length !== 3)
      return { ok: false, reason: 'a slice without ImagePositionPatient' };
    if (s.pixels.length !== rows * cols * (type.bitpix / 8))
      return { ok: false, reason: 'a slice whose pixels do not match its size' };
  }
  const along = slices.map((s, i) => ({
    i,
    d: dot(nums(s.attributes['ImagePositionPatient']) as Vec, n),
  }));
  along.sort((a, b) => a.d - b.d);
  const gaps = along.slice(1).map((s, k) => s.d - along[k]!.d);
  if (gaps.some((g) => g < 1e-4)) return { ok: false, reason: 'two slices at the same position' };
  const dz = gaps[0]!;
  if (gaps.some((g) => Math.abs(g - dz) > Math.max(1e-3, dz * 0.01)))
    return { ok: false, reason: 'slices not evenly spaced' };
  const origin = nums(slices[along[0]!.i]!.attributes['ImagePositionPatient']) as Vec;
  const [dr, dc] = spacing as [number, number];
  // Voxel (i, j, k) in LPS: origin + i·dc·x + j·dr·y + k·dz·n; RAS negates the first two axes.
  const ras = (v: Vec): Vec => [-v[0], -v[1], v[2]];
  const cx = ras(x);
  const cy = ras(y);
  const cz = ras(n);
  const o = ras(origin);
  const rotation = [0, 1, 2].map((r) => [cx[r]!, cy[r]!, cz[r]!]);
  const q = quaternion(rotation);
  const header = new ArrayBuffer(352);
  const v = new DataView(header);
  v.setInt32(0, 348, true);
  v.setUint8(38, 'r'.charCodeAt(0)); // regular
  const dim = [3, cols, rows, slices.length, 1, 1, 1, 1];
  dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, type.code, true);
  v.setInt16(72, type.bitpix, true);
  const pixdim = [q.qfac, dc, dr, dz, 0, 0, 0, 0];
  pixdim.forEach((d, i) => v.setFloat32(76 + 4 * i, d, true));
  v.setFloat32(108, 352, true); // vox_offset
  v.setFloat32(112, num(first['RescaleSlope'], 1), true);
  v.setFloat32(116, num(first['RescaleIntercept'], 0), true);
  v.setUint8(123, 10); // xyzt_units: mm and s
  const description = new TextEncoder().encode('ahi-web-retrieve'.slice(0, 79));
  new Uint8Array(header, 148, 80).set(description);
  v.setInt16(252, 1, true); // qform_code: scanner
  v.setInt16(254, 1, true); // sform_code: scanner
  [q.b, q.c, q.d, o[0], o[1], o[2]].forEach((d, i) => v.setFloat32(256 + 4 * i, d, true));
  const srow = [
    [cx[0] * dc, cy[0] * dr, cz[0] * dz, o[0]],
    [cx[1] * dc, cy[1] * dr, cz[1] * dz, o[1]],
    [cx[2] * dc, cy[2] * dr, cz[2] * dz, o[2]],
  ];
  srow.flat().forEach((d, i) => v.setFloat32(280 + 4 * i, d, true));
  new Uint8Array(header, 344, 4).set([0x6e, 0x2b, 0x31, 0]); // "n+1\0"
  // bytes 348-351: no extension
  return {
    ok: true,
    header: new Uint8Array(header),
    slices: along.map((a) => slices[a.i]!.pixels),
    order: along.map((a) => a.i),
  };
}

/** The keys dcm2niix writes in its JSON sidecar (BIDS), where the metadata has them. */
const SIDECAR_KEYS = [
  'Modality',
  'Manufacturer',
  'ManufacturerModelName',
  'InstitutionName',
  'BodyPartExamined',
  'PatientPosition',
  'SeriesDescription',
  'ProtocolName',
  'ImageType',
  'SeriesNumber',
  'AcquisitionNumber',
  'SliceThickness',
  'SpacingBetweenSlices',
  'RepetitionTime',
  'EchoTime',
  'InversionTime',
  'FlipAngle',
  'MagneticFieldStrength',
  'KVP',
  'XRayExposure',
  'ConvolutionKernel',
] as const;

/** The JSON sidecar: dcm2niix's keys with the metadata's values (seconds for MR times, as BIDS). */
export function sidecar(attributes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SIDECAR_KEYS) {
    const v = attributes[key];
    if (v === null || v === undefined || v === '') continue;
    const list = nums(v);
    const numeric = [
      'SeriesNumber',
      'AcquisitionNumber',
      'SliceThickness',
      'SpacingBetweenSlices',
      'FlipAngle',
      'MagneticFieldStrength',
      'KVP',
      'XRayExposure',
    ];
    if (key === 'RepetitionTime' || key === 'EchoTime' || key === 'InversionTime')
      out[key] = list[0]! / 1000;
    else if (numeric.includes(key) && list.length) out[key] = list[0];
    else out[key] = v;
  }
  out['ConversionSoftware'] = 'ahi-web-retrieve';
  return out;
}
