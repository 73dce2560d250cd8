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
  type AhiInstance,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import { SYNTAX_FIXTURES, syntaxFixtures } from '../syntax-fixtures';

export async function buildJpegSeries(total: number): Promise<ImageSet> {
  const f = syntaxFixtures().find((x) => x.file === 'ct1-grey8-jpeg.jpg')!;
  const bytes = new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.file)));
  const pixels = new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.reference)));
  let min = 255;
  let max = 0;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
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
        Rows: f.height,
        Columns: f.width,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelRepresentation: 0,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        NumberOfFrames: '1',
      },
      StoredTransferSyntaxUID: f.syntax,
      ImageFrames: [
        {
          ID: id,
          PixelDataChecksumFromBaseToFullResolution: [
            { Width: f.width, Height: f.height, Checksum: f.crc32 },
          ],
          MinPixelValue: min,
          MaxPixelValue: max,
          FrameSizeInBytes: pixels.length,
        },
      ],
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
