/**
 * The DICOM export, read by Debian's independent tools: the NEMA set exported as stored (each
 * fragment byte for byte what the server sent) and in Explicit VR Little Endian (pydicom's pixels
 * equal the NEMA references), every file read by dcmtk's dcmdump and, in Explicit VR Little
 * Endian, found a complete IOD by dicom3tools' dciodvfy, laid out as idc-index lays out its
 * downloads, with metadata.csv; and a CT series of the research cohort, exported in Explicit VR
 * Little Endian, made into one volume by dcm2niix; and real multi-frame instances (Enhanced CT and
 * MR) served by the local AHI, one file each with all their frames.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Page } from '@playwright/test';
import { AwsClient } from 'aws4fetch';
import { COHORT_DATASTORE_ID } from '../ahi-server/imageSet';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';
import { sendSigned } from '../ahi-server/testing';
import { API_URL } from '../playwright.config';
import { expect, test } from './fixtures';
import {
  chooseDemoFiles,
  demoIndex,
  downloadZip,
  filesUnder,
  openApp,
  resetKnobs,
  serverDigests,
  unzip,
} from './helpers';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const FIXTURES = 'ahi-server/fixtures/htj2k';

/** Exports the job shown as DICOM in a syntax, unzipped into a new folder (removed by `done`). */
async function exportDicom(page: Page, syntax: 'As stored' | 'Explicit VR Little Endian') {
  await page.getByLabel('Export format').selectOption('DICOM');
  await page.getByLabel('DICOM transfer syntax').selectOption({ label: syntax });
  await page.evaluate(() => delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  const download = await downloadZip(page);
  const dir = mkdtempSync(join(tmpdir(), 'ahi-dicom-'));
  const zip = join(dir, 'export.zip');
  await download.saveAs(zip);
  unzip('-qq', zip, '-d', join(dir, 'x'));
  return {
    name: download.suggestedFilename(),
    dir: join(dir, 'x'),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * dciodvfy's errors for each file (none expected), and its warnings beyond the one accepted: an
 * empty Laterality, which the IOD allows "when actually unknown" (the demo's series name no body
 * part). Debian's dicom3tools (2022) does not know HTJ2K's transfer syntaxes: only files in
 * syntaxes it knows are given to it.
 */
function dciodvfyErrors(files: string[]): string[] {
  return files.flatMap((f) => {
    const r = spawnSync('dciodvfy', [f], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => /^(Error|Warning)/.test(l) && !/attribute <Laterality>$/.test(l))
      .map((l) => `${relative(tmpdir(), f)}: ${l}`);
  });
}

const csvRows = (text: string) =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

test.beforeEach(() => resetKnobs());

test('DICOM export of the NEMA set: as stored byte for byte, Explicit VR Little Endian pixel for pixel, dcmdump reads every file', async ({
  persistent: { page },
}) => {
  await openApp(page);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 16 of 16 frames, 16 verified/, {
    timeout: 60_000,
  });
  const nema = (await demoIndex()).imageSets.find((s) => s.name === 'nema')!;
  const digests = await serverDigests(nema.imageSetId);

  // A folder template that is wrong is refused, with its message, before anything is written.
  await page.getByLabel('Export format').selectOption('DICOM');
  for (const [template, message] of [
    ['<PatientID>/<Foo>.dcm', /there is no field <Foo>; the fields are <PatientID>/],
    [
      '<PatientID>/../<SOPInstanceUID>.dcm',
      /"\.\." is not allowed: every file stays inside the export/,
    ],
  ] as const) {
    await page.getByLabel('Folder template').fill(template);
    await page.getByRole('button', { name: 'Export zip', exact: true }).click();
    await expect(page.locator('.export-status')).toContainText(message);
  }
  await page
    .getByLabel('Folder template')
    .fill('<PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>/<SOPInstanceUID>.dcm');
  const stored = await exportDicom(page, 'As stored');
  try {
    expect(stored.name).toBe('nema-manifest-dicom.zip');
    const files = filesUnder(stored.dir).filter((f) => f.endsWith('.dcm'));
    expect(files).toHaveLength(16);
    // idc-index's layout: <PatientID>/<StudyInstanceUID>/<Modality>_<SeriesInstanceUID>/<SOPInstanceUID>.dcm
    for (const f of files)
      expect(relative(stored.dir, f)).toMatch(/^NEMA\/[\d.]+\/[A-Z]{2}_[\d.]+\/[\d.]+\.dcm$/);
    for (const f of files) execFileSync('dcmdump', ['-q', f]);
    // Each file's fragments against what the server holds (checksums.csv names each frame's file).
    const byFile = new Map(
      csvRows(readFileSync(join(stored.dir, 'checksums.csv'), 'utf8')).map((r) => [r[2]!, r[0]!]),
    );
    const report = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, hashlib, pydicom
from pydicom.encaps import generate_pixel_data_frame
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    ts = str(ds.file_meta.TransferSyntaxUID)
    # (Debian's pydicom predates HTJ2K: its UIDs are not known, so compare the UID itself.)
    if ts != '1.2.840.10008.1.2.1':
        f = next(generate_pixel_data_frame(ds.PixelData))
        print(path, ts, hashlib.sha256(f).hexdigest(), hashlib.sha256(f[:-1]).hexdigest())
    else:
        print(path, ts, hashlib.sha256(ds.PixelData).hexdigest(), '-')`,
        ...files,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    let encapsulated = 0;
    for (const line of report) {
      const [path, ts, sha, shaMinusPad] = line.split(' ');
      const frameId = byFile.get(relative(stored.dir, path!))!;
      expect([sha, shaMinusPad]).toContain(digests[frameId]);
      if (ts !== '1.2.840.10008.1.2.1') encapsulated++;
    }
    expect(encapsulated).toBe(15); // all but the uncompressed CT1-RAW
    const series = csvRows(readFileSync(join(stored.dir, 'metadata.csv'), 'utf8'));
    expect(series).toHaveLength(16);
    expect(series.every((r) => r[6] === '1' && r[8] === '1')).toBe(true);
  } finally {
    stored.done();
  }

  // A template of one's own (remembered with the settings).
  await page
    .getByLabel('Folder template')
    .fill('<Modality>/<SeriesDescription>/<InstanceNumber>.dcm');
  const explicit = await exportDicom(page, 'Explicit VR Little Endian');
  try {
    expect(explicit.name).toBe('nema-manifest-dicom-explicit.zip');
    const files = filesUnder(explicit.dir).filter((f) => f.endsWith('.dcm'));
    expect(files).toHaveLength(16);
    for (const f of files) expect(relative(explicit.dir, f)).toMatch(/^[A-Z]{2}\/[^/]+\/1\.dcm$/);
    expect(files.some((f) => relative(explicit.dir, f) === 'MR/NEMA MR2/1.dcm')).toBe(true);
    for (const f of files) execFileSync('dcmdump', ['-q', f]);
    expect(dciodvfyErrors(files)).toEqual([]);
    // pydicom's pixels against the NEMA references (.RAW: the decoded pixels, little endian).
    const out = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, glob, os, pydicom, numpy as np
refs = {os.path.basename(p)[:-4]: open(p, 'rb').read() for p in glob.glob(sys.argv[1] + '/*.RAW')}
for path in sys.argv[2:]:
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == '1.2.840.10008.1.2.1', path
    a = ds.pixel_array
    name = str(ds.SeriesDescription).replace('NEMA ', '').split(' ')[0]
    ref = refs.get(name)
    print(name, ds.PhotometricInterpretation, 'same' if ref is not None and a.tobytes() == ref else ('no reference' if ref is None else 'DIFFERENT'))`,
        FIXTURES,
        ...files,
      ],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => l.endsWith('DIFFERENT'))).toEqual([]);
    // CT1, CT2, MR1-MR4, NM1, US1, VL1, XA1 and the uncompressed CT1 have references.
    expect(lines.filter((l) => l.endsWith(' same')).length).toBeGreaterThanOrEqual(10);
    expect(lines.find((l) => l.startsWith('US1 '))).toMatch(/^US1 RGB same$/);
  } finally {
    explicit.done();
  }

  // NIfTI: the NEMA set's series are single frames, so no volume; each says so in metadata.csv,
  // and the bundle is not called partial (nothing is missing).
  await page.getByLabel('Export format').selectOption('NIfTI');
  const download = await downloadZip(page);
  expect(download.suggestedFilename()).toBe('nema-manifest-nifti.zip');
  const dir = mkdtempSync(join(tmpdir(), 'ahi-nifti-'));
  try {
    await download.saveAs(join(dir, 'n.zip'));
    expect(unzip('-Z', '-1', join(dir, 'n.zip')).toString().trim().split('\n')).toEqual([
      'metadata.csv',
    ]);
    const rows = csvRows(unzip('-p', join(dir, 'n.zip'), 'metadata.csv').toString());
    expect(rows).toHaveLength(16);
    expect(rows.every((r) => r.at(-1) === 'skipped: a single frame: no volume')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await expect(page.getByText(/16 frames form no volume and are left out/)).toBeVisible();
});

test('a CT series of the research cohort exported in Explicit VR Little Endian makes one volume in dcm2niix, and our NIfTI export is that volume', async ({
  persistent: { page },
}) => {
  const aws = new AwsClient({
    ...EXAMPLE_CREDENTIALS,
    service: 'medical-imaging',
    region: 'us-east-1',
    retries: 0,
  });
  const r = await sendSigned(
    await aws.sign(`${API_URL}/datastore/${COHORT_DATASTORE_ID}/searchImageSets`, {
      method: 'POST',
      body: JSON.stringify({
        filters: [{ operator: 'EQUAL', values: [{ DICOMAccessionNumber: 'ACC-23-0314' }] }],
      }),
    }),
    readFileSync('.cache/tls/cert.pem'),
  );
  const imageSetId = (
    JSON.parse(r.body.toString()) as { imageSetsMetadataSummaries: { imageSetId: string }[] }
  ).imageSetsMetadataSummaries[0]!.imageSetId;
  await openApp(page);
  await page.getByLabel('Datastore ID').fill(COHORT_DATASTORE_ID);
  await page.getByLabel('Image set ID').fill(imageSetId);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 13 of 13 frames, 13 verified/, {
    timeout: 60_000,
  });
  const explicit = await exportDicom(page, 'Explicit VR Little Endian');
  try {
    const axial = readdirSync(join(explicit.dir, 'COH-0001'), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((d) => d.isDirectory() && d.name.startsWith('CT_'))
      .map((d) => join(d.parentPath, d.name))
      .find((d) => readdirSync(d).length === 12)!;
    expect(axial).toBeDefined();
    const out = join(explicit.dir, 'nifti');
    execFileSync('mkdir', ['-p', out]);
    execFileSync('dcm2niix', ['-z', 'y', '-f', 'volume', '-o', out, axial], { stdio: 'pipe' });
    const niftis = readdirSync(out).filter((n) => n.endsWith('.nii.gz'));
    expect(niftis).toEqual(['volume.nii.gz']);
    const shape = execFileSync(
      PYTHON,
      ['-c', 'import sys, nibabel; print(nibabel.load(sys.argv[1]).shape)', join(out, niftis[0]!)],
      { encoding: 'utf8' },
    ).trim();
    expect(shape).toBe('(512, 512, 12)');
    expect(dciodvfyErrors(filesUnder(axial))).toEqual([]);

    // The NIfTI export of the same job: one volume, the scout left out with its reason, and the
    // volume what dcm2niix made of our DICOM (nibabel: shape, affine within 1e-4, voxels, scaling).
    await page.getByLabel('Export format').selectOption('NIfTI');
    const download = await downloadZip(page);
    expect(download.suggestedFilename()).toBe(`image-set-${imageSetId}-nifti.zip`);
    const zip = join(explicit.dir, 'nifti.zip');
    await download.saveAs(zip);
    unzip('-qq', zip, '-d', join(explicit.dir, 'ours'));
    const ours = filesUnder(join(explicit.dir, 'ours'));
    const volumes = ours.filter((f) => f.endsWith('.nii.gz'));
    expect(volumes).toHaveLength(1);
    expect(relative(join(explicit.dir, 'ours'), volumes[0]!)).toMatch(
      /^COH-0001\/[\d.]+\/CT_[\d.]+\.nii\.gz$/,
    );
    const json = JSON.parse(
      readFileSync(volumes[0]!.replace(/\.nii\.gz$/, '.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(json).toMatchObject({
      Modality: 'CT',
      SeriesDescription: 'Axial 0.625 mm',
      SliceThickness: 0.625,
    });
    const index = readFileSync(join(explicit.dir, 'ours', 'metadata.csv'), 'utf8');
    expect(index).toContain('skipped: a single frame: no volume');
    const same = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, nibabel as nib, numpy as np
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
ca, cb = nib.as_closest_canonical(a), nib.as_closest_canonical(b)
print(a.shape == b.shape, np.abs(ca.affine - cb.affine).max() < 1e-4, np.array_equal(np.asanyarray(ca.dataobj), np.asanyarray(cb.dataobj)), a.dataobj.slope == b.dataobj.slope, a.dataobj.inter == b.dataobj.inter)`,
        volumes[0]!,
        join(out, niftis[0]!),
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(same).toBe('True True True True True');
  } finally {
    explicit.done();
  }
});

test('real multi-frame instances (an Enhanced CT of 2 frames, an Enhanced MR of 10) come out as one DICOM file each with every frame, and the CT as the NIfTI volume dcm2niix makes of it', async ({
  persistent: { page },
}) => {
  const sources: Record<string, string> = {
    'multiframe-ct': 'ahi-server/fixtures/dicom/pydicom-data__eCT_Supplemental.dcm',
    'multiframe-mr': 'ahi-server/fixtures/dicom/pydicom-data__emri_small.dcm',
  };
  const index = await demoIndex();
  await openApp(page);
  const texts = await chooseDemoFiles(page, Object.keys(sources));
  /** SOP instance UID → its frames' IDs, in order, and the file AHI imported it from */
  const instances = new Map<string, { frames: string[]; source: string; imageSetId: string }>();
  for (const [name, source] of Object.entries(sources)) {
    const set = index.imageSets.find((s) => s.name === name)!;
    const m = JSON.parse(texts[name]!) as {
      Study: {
        Series: Record<string, { Instances: Record<string, { ImageFrames: { ID: string }[] }> }>;
      };
    };
    for (const s of Object.values(m.Study.Series))
      for (const [sop, inst] of Object.entries(s.Instances))
        instances.set(sop, {
          frames: inst.ImageFrames.map((f) => f.ID),
          source,
          imageSetId: set.imageSetId,
        });
  }
  expect([...instances.values()].map((i) => i.frames.length)).toEqual([2, 10]);
  await page.getByLabel('Format', { exact: true }).selectOption('jph');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText(/^Done: 12 of 12 frames, 12 verified/, {
    timeout: 60_000,
  });
  const digests: Record<string, string> = {};
  for (const id of new Set([...instances.values()].map((i) => i.imageSetId)))
    Object.assign(digests, await serverDigests(id));

  // As stored: one file per instance, its fragments the frames AHI sent, in the instance's order.
  const stored = await exportDicom(page, 'As stored');
  try {
    const files = filesUnder(stored.dir).filter((f) => f.endsWith('.dcm'));
    expect(files).toHaveLength(2);
    for (const f of files) execFileSync('dcmdump', ['-q', f]);
    const report = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, hashlib, pydicom
from pydicom.encaps import generate_pixel_data_frame
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    n = int(ds.NumberOfFrames)
    frames = list(generate_pixel_data_frame(ds.PixelData, n))
    print(ds.SOPInstanceUID, n, ' '.join(hashlib.sha256(f).hexdigest() + ':' + hashlib.sha256(f[:-1]).hexdigest() for f in frames))`,
        ...files,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(report).toHaveLength(2);
    for (const line of report) {
      const [sop, n, ...shas] = line.split(' ');
      const inst = instances.get(sop!)!;
      expect(Number(n)).toBe(inst.frames.length);
      expect(shas).toHaveLength(inst.frames.length);
      shas.forEach((pair, k) => expect(pair.split(':')).toContain(digests[inst.frames[k]!]));
    }
  } finally {
    stored.done();
  }

  // Explicit VR Little Endian: pydicom's pixels of every frame equal those of the file AHI
  // imported; dciodvfy finds nothing in ours it does not find in that file (the MR's source has
  // its functional groups stripped and lacks Type 1 equipment attributes; the CT's has an
  // unrecognised RescaleType: theirs, kept as they are).
  const explicit = await exportDicom(page, 'Explicit VR Little Endian');
  try {
    const files = filesUnder(explicit.dir).filter((f) => f.endsWith('.dcm'));
    expect(files).toHaveLength(2);
    const out = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, json, pydicom
sources = json.loads(sys.argv[1])
for path in sys.argv[2:]:
    ds = pydicom.dcmread(path)
    src = pydicom.dcmread(sources[ds.SOPInstanceUID])
    same = ds.pixel_array.tobytes() == src.pixel_array.tobytes() and ds.pixel_array.shape == src.pixel_array.shape
    print(ds.SOPInstanceUID, ds.pixel_array.shape[0], 'same' if same else 'DIFFERENT')`,
        JSON.stringify(Object.fromEntries([...instances].map(([sop, i]) => [sop, i.source]))),
        ...files,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(out.map((l) => l.split(' ').slice(1).join(' ')).sort()).toEqual(['10 same', '2 same']);
    const messages = (f: string) => {
      const r = spawnSync('dciodvfy', [f], { encoding: 'utf8' });
      return `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^(Error|Warning)/.test(l));
    };
    for (const f of files) {
      execFileSync('dcmdump', ['-q', f]);
      const sop = execFileSync('dcmdump', ['-q', '+P', '0008,0018', f], { encoding: 'utf8' });
      const source = [...instances].find(([uid]) => sop.includes(`[${uid}]`))![1].source;
      const theirs = new Set(messages(source));
      expect(messages(f).filter((l) => !theirs.has(l))).toEqual([]);
    }

    // NIfTI: the CT is one volume of 2 slices, what dcm2niix makes of our DICOM of it (nibabel:
    // shape, affine within 1e-4, voxels, scaling); the MR, whose frames have no position, is left
    // out with its reason.
    const ct = files.find((f) => f.includes('/CT_'))!;
    const niftiOut = join(explicit.dir, 'dcm2niix');
    execFileSync('mkdir', ['-p', niftiOut]);
    execFileSync('dcm2niix', ['-z', 'y', '-f', 'volume', '-o', niftiOut, ct], { stdio: 'pipe' });
    expect(readdirSync(niftiOut).filter((n) => n.endsWith('.nii.gz'))).toEqual(['volume.nii.gz']);
    await page.getByLabel('Export format').selectOption('NIfTI');
    const download = await downloadZip(page);
    const zip = join(explicit.dir, 'nifti.zip');
    await download.saveAs(zip);
    unzip('-qq', zip, '-d', join(explicit.dir, 'ours'));
    const volumes = filesUnder(join(explicit.dir, 'ours')).filter((f) => f.endsWith('.nii.gz'));
    expect(volumes).toHaveLength(1);
    const rows = csvRows(readFileSync(join(explicit.dir, 'ours', 'metadata.csv'), 'utf8'));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r[3] === 'MR')?.at(-1)).toMatch(/^skipped: /);
    const same = execFileSync(
      PYTHON,
      [
        '-c',
        `import sys, nibabel as nib, numpy as np
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
ca, cb = nib.as_closest_canonical(a), nib.as_closest_canonical(b)
print(a.shape, np.abs(ca.affine - cb.affine).max() < 1e-4, np.array_equal(np.asanyarray(ca.dataobj), np.asanyarray(cb.dataobj)), a.dataobj.slope == b.dataobj.slope, a.dataobj.inter == b.dataobj.inter)`,
        volumes[0]!,
        join(niftiOut, 'volume.nii.gz'),
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(same).toBe('(512, 512, 2) True True True True');
  } finally {
    explicit.done();
  }
});
