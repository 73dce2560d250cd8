/**
 * DICOM Part 10 files as Debian's independent readers see them: dcmtk's dcmdump reads each,
 * pydicom reads the Explicit VR Little Endian pixels (equal to the NEMA reference) and the
 * encapsulated fragments (byte for byte the codestreams given), and dicom3tools' dciodvfy finds no
 * encoding error (what it misses are attributes the source metadata lacks).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPLEMENTATION_CLASS_UID, part10, type Attributes } from './part10';

const FIXTURES = 'ahi-server/fixtures';
// Debian's python3 has python3-pydicom; a python3 earlier on PATH (pyenv) may not.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const dir = mkdtempSync(join(tmpdir(), 'dicom-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const python = (script: string, ...args: string[]) =>
  execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' }).trim();

const ct1: Attributes = {
  PatientName: 'NEMA^CT1',
  PatientID: 'NEMA-CT1',
  PatientBirthDate: null,
  PatientSex: 'O',
  StudyInstanceUID: '1.2.826.0.1.3680043.8.498.1',
  StudyDate: '20260101',
  StudyTime: '120000',
  AccessionNumber: null,
  StudyID: '1',
  SeriesInstanceUID: '1.2.826.0.1.3680043.8.498.1.1',
  Modality: 'CT',
  SeriesNumber: '1',
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
  SOPInstanceUID: '1.2.826.0.1.3680043.8.498.1.1.1',
  InstanceNumber: '1',
  Rows: 512,
  Columns: 512,
  BitsAllocated: 16,
  BitsStored: 16,
  HighBit: 15,
  PixelRepresentation: 1,
  SamplesPerPixel: 1,
  PhotometricInterpretation: 'MONOCHROME2',
  RescaleIntercept: '-1024',
  RescaleSlope: '1',
  WindowCenter: ['40', '400'],
  WindowWidth: ['400', '2000'],
};

describe('DICOM Part 10', () => {
  it('Explicit VR Little Endian: pydicom reads the NEMA pixels back exactly, with our file meta', () => {
    const raw = readFileSync(`${FIXTURES}/htj2k/CT1.RAW`);
    const path = write(
      'ct1-evrle.dcm',
      part10(ct1, { kind: 'native', data: raw, bitsAllocated: 16 }),
    );
    expect(spawnSync('dcmdump', ['-q', path]).status).toBe(0);
    const out = python(
      `import sys, pydicom, numpy as np
ds = pydicom.dcmread(sys.argv[1])
ref = np.fromfile(sys.argv[2], dtype='<i2').reshape(512, 512)
m = ds.file_meta
print(m.TransferSyntaxUID, m.MediaStorageSOPClassUID, m.MediaStorageSOPInstanceUID, m.ImplementationClassUID, m.ImplementationVersionName)
print(ds.pixel_array.dtype, bool((ds.pixel_array == ref).all()), ds.PatientName, ds.WindowCenter, ds.RescaleIntercept, repr(ds.AccessionNumber))`,
      path,
      `${FIXTURES}/htj2k/CT1.RAW`,
    ).split('\n');
    expect(out[0]).toBe(
      `1.2.840.10008.1.2.1 1.2.840.10008.5.1.4.1.1.7 ${String(ct1['SOPInstanceUID'])} ${IMPLEMENTATION_CLASS_UID} AHIWEBRETR_0_1`,
    );
    expect(out[1]).toBe(`int16 True NEMA^CT1 [40, 400] -1024 ''`);
  });

  it('as stored: one fragment per frame, each byte for byte the codestream given, dcmdump reads it', () => {
    const j2c = new Uint8Array(readFileSync(`${FIXTURES}/htj2k/CT1.j2c`));
    const odd = j2c.subarray(0, j2c.length - 1); // an odd length is padded, as DICOM wants
    const frames = [j2c, odd, j2c];
    const path = write(
      'ct1-htj2k.dcm',
      part10(
        { ...ct1, SOPClassUID: '1.2.840.10008.5.1.4.1.1.7.2' },
        { kind: 'encapsulated', transferSyntax: '1.2.840.10008.1.2.4.202', frames },
      ),
    );
    const dump = execFileSync('dcmdump', ['-q', path], { encoding: 'utf8' });
    expect(dump).toMatch(/\(0002,0010\) UI \[1\.2\.840\.10008\.1\.2\.4\.202\]/);
    expect(dump).toMatch(/\(0028,0008\) IS \[3\]/);
    expect(dump).toMatch(/PixelSequence #=4/); // the offset table and 3 fragments
    const sizes = python(
      `import sys, pydicom
from pydicom.encaps import generate_pixel_data_fragment
from pydicom.filebase import DicomBytesIO
ds = pydicom.dcmread(sys.argv[1])
fp = DicomBytesIO(ds.PixelData); fp.is_little_endian = True
fp.read(4); n = int.from_bytes(fp.read(4), 'little'); fp.read(n)
for i, f in enumerate(generate_pixel_data_fragment(fp)):
    open(sys.argv[1] + '.%d' % i, 'wb').write(f)
    print(len(f))`,
      path,
    );
    expect(sizes.split('\n').map(Number)).toEqual([j2c.length, odd.length + 1, j2c.length]);
    frames.forEach((f, i) => {
      const fragment = readFileSync(`${path}.${i}`);
      expect(Buffer.compare(fragment.subarray(0, f.length), Buffer.from(f))).toBe(0);
    });
  });

  it('a real AHI document’s attributes: sequences and names kept, private tags left out; no encoding errors', () => {
    const doc = JSON.parse(readFileSync(`${FIXTURES}/manifests/usdoppler.json`, 'utf8')) as {
      Patient: { DICOM: Attributes };
      Study: {
        DICOM: Attributes;
        Series: Record<
          string,
          { DICOM: Attributes; Instances: Record<string, { DICOM: Attributes }> }
        >;
      };
    };
    const series = Object.values(doc.Study.Series)[0]!;
    const [sop, inst] = Object.entries(series.Instances)[0]!;
    const a: Attributes = {
      ...doc.Patient.DICOM,
      ...doc.Study.DICOM,
      ...series.DICOM,
      SOPInstanceUID: sop,
      ...inst.DICOM,
    };
    const size =
      Number(a['Rows']) *
      Number(a['Columns']) *
      Number(a['SamplesPerPixel']) *
      Number(a['NumberOfFrames'] ?? 1);
    // Written as the Explicit VR Little Endian export writes a colour instance: decoded to RGB.
    const path = write(
      'usdoppler.dcm',
      part10(
        { ...a, PhotometricInterpretation: 'RGB' },
        { kind: 'native', data: new Uint8Array(size), bitsAllocated: 8 },
      ),
    );
    expect(spawnSync('dcmdump', ['-q', path]).status).toBe(0);
    const out = python(
      `import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(len(ds.SequenceOfUltrasoundRegions), ds.PatientName, ds.Manufacturer, any(e.tag.is_private for e in ds))`,
      path,
    );
    expect(out).toBe(
      `${(a['SequenceOfUltrasoundRegions'] as unknown[]).length} US Echo ACUSON False`,
    );
    const report = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
    const errors = `${report.stdout}${report.stderr}`
      .split('\n')
      .filter((l) => l.startsWith('Error'));
    // What dciodvfy may miss is the source's (attributes it lacks); never how we wrote what it has.
    expect(
      errors.filter(
        (e) => !/Missing attribute|Bad attribute Value Multiplicity.*Type 2|Value is zero/.test(e),
      ),
    ).toEqual([]);
  });
});
