/**
 * "jpeg-series" (opt-in, `--jpeg-series N`, for the bench): N frames of JPEG baseline greyscale
 * (.4.50, `image/jpeg`), each the syntaxes set's CT1 frame made by Debian's cjpeg under its own
 * frame ID, with the checksum of djpeg's pixels. One frame repeated decodes at the cost of any
 * other of its size: what the bench measures is the app's JPEG path, not the data's variety.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ahiId, dicomUid } from '../ids';
import {
  contentTypeFor,
  DATASTORE_ID,
  emptyDocument,
  frameRecord,
  pixelAttributes,
  type AhiInstance,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import { SYNTAX_FIXTURES, syntaxFixtures } from '../syntax-fixtures';
import { range } from './syntaxes';

export async function buildJpegSeries(total: number): Promise<ImageSet> {
  const f = syntaxFixtures().find((x) => x.file === 'ct1-grey8-jpeg.jpg')!;
  const bytes = new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.file)));
  const pixels = new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.reference)));
  const facts = {
    width: f.width,
    height: f.height,
    bits: 8,
    signed: false,
    samples: 1,
    ...range(f, pixels),
    levels: [{ width: f.width, height: f.height, checksum: f.crc32 }],
  };
  const name = 'jpeg-series';
  const imageSetId = ahiId(name, total, 'image set');
  const doc = emptyDocument(
    name,
    imageSetId,
    'JPEG^Series',
    `CT1 as JPEG baseline, ${total} frames`,
    dicomUid(name, 'study'),
  );
  const frames = new Map<string, StoredFrame>();
  const instances: Record<string, AhiInstance> = {};
  for (let i = 0; i < total; i++) {
    const id = ahiId(name, total, i, 'frame');
    frames.set(id, { id, bytes, contentType: contentTypeFor(f.syntax) });
    const sopUid = dicomUid(name, total, i, 'instance');
    instances[sopUid] = {
      DICOM: {
        SOPInstanceUID: sopUid,
        SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
        InstanceNumber: String(i + 1),
        ...pixelAttributes(facts, 'MONOCHROME2'),
      },
      StoredTransferSyntaxUID: f.syntax,
      ImageFrames: [frameRecord(id, facts)],
    };
  }
  const seriesUid = dicomUid(name, total, 'series');
  doc.Study.Series[seriesUid] = {
    DICOM: {
      SeriesInstanceUID: seriesUid,
      Modality: 'CT',
      SeriesDescription: `${f.file} (${f.madeWith}), ${total} frames`,
      SeriesNumber: '1',
    },
    Instances: instances,
  };
  return {
    name,
    description: `JPEG baseline greyscale: CT1 by cjpeg under ${total} frame IDs (for the bench)`,
    datastoreId: DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt: new Date('2026-01-04T12:00:00Z'),
  };
}
