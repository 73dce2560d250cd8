/**
 * The "syntaxes" image set: one series per syntax AHI stores besides HTJ2K lossless, each frame
 * made by an independent encoder from Debian with its checksum from the matching independent
 * decoder (syntax-fixtures.ts): JPEG 2000 lossless and lossy, JPEG baseline greyscale and
 * YBR_FULL_422, JPEG XL lossless and lossy, a 1-bit segmentation, and HTJ2K RPCL-constrained
 * lossy (.4.203) from a real DICOM file (pydicom-data HTJ2K_08_RGB, checksum from its decode).
 *
 * Lossy frames' checksums model AHI as the CRC-32 of its own decoder's pixels (AHI does not say
 * which decoder it uses, nor documents what the checksum means for lossy syntaxes): here the
 * reference decoders' pixels, which our WASM decoders may or may not reproduce exactly.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { extractSingleFrameCodestream } from '../dicom';
import { ahiId, dicomUid } from '../ids';
import {
  contentTypeFor,
  DATASTORE_ID,
  emptyDocument,
  FIXTURES,
  pixelAttributes,
  type AhiImageFrame,
  type ImageSet,
  type StoredFrame,
} from '../imageSet';
import { VIDEO_FIXTURES, VIDEOS } from '../video-fixtures';
import {
  SYNTAX_FIXTURES,
  syntaxFixtures,
  US1_GEOMETRY,
  type SyntaxFixture,
} from '../syntax-fixtures';

/** The range of a frame's samples (1-bit frames: 0..1). */
export function range(f: Pick<SyntaxFixture, 'bitsAllocated' | 'signed'>, pixels: Uint8Array) {
  if (f.bitsAllocated === 1) return { min: 0, max: 1 };
  const view =
    f.bitsAllocated > 8
      ? f.signed
        ? new Int16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2)
        : new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2)
      : pixels;
  let min = Infinity;
  let max = -Infinity;
  for (const v of view) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

interface Frame extends Omit<SyntaxFixture, 'file' | 'reference' | 'madeWith' | 'lossy'> {
  name: string;
  description: string;
  bytes: Uint8Array;
  pixels: Uint8Array;
}

/** The .4.203 frame: a real HTJ2K (irreversible, RPCL) DICOM file, decoded with OpenJPH. */
async function htj2kLossy(): Promise<Frame> {
  const bytes = extractSingleFrameCodestream(
    await readFile(join(FIXTURES, 'dicom', 'pydicom-data__HTJ2K_08_RGB.dcm')),
  );
  const m = await createOpenJph({ print: () => {}, printErr: () => {} });
  const d = new m.HTJ2KDecoder();
  d.getEncodedBuffer(bytes.length).set(bytes);
  d.decode();
  const pixels = d.getDecodedBuffer().slice();
  d.delete();
  return {
    name: 'htj2k-rpcl-lossy',
    description: 'HTJ2K RPCL, irreversible (pydicom-data HTJ2K_08_RGB)',
    syntax: '1.2.840.10008.1.2.4.203',
    contentType: 'image/jphc',
    photometric: 'YBR_ICT',
    ...US1_GEOMETRY,
    crc32: crc32(pixels) >>> 0,
    bytes,
    pixels,
  };
}

export async function buildSyntaxes(): Promise<ImageSet> {
  const name = 'syntaxes';
  const imageSetId = ahiId(name, 'image set');
  const doc = emptyDocument(
    name,
    imageSetId,
    'SYNTAXES^Every^Stored',
    'Every syntax AHI stores besides HTJ2K lossless, made by independent encoders',
    dicomUid(name, 'study'),
  );
  const fromFixtures: Frame[] = await Promise.all(
    syntaxFixtures().map(async (f) => ({
      ...f,
      name: f.file.replace(/\.[a-z0-9]+$/, ''),
      description: `${f.file}: ${f.madeWith}`,
      bytes: new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.file))),
      pixels: new Uint8Array(await readFile(join(SYNTAX_FIXTURES, f.reference))),
    })),
  );
  const frames = new Map<string, StoredFrame>();
  let seriesNumber = 0;
  for (const f of [...fromFixtures, await htj2kLossy()]) {
    const id = ahiId(name, f.name, 'frame');
    frames.set(id, { id, bytes: f.bytes, contentType: contentTypeFor(f.syntax) });
    const seriesUid = dicomUid(name, f.name, 'series');
    const sopUid = dicomUid(name, f.name, 'instance');
    const { min, max } = range(f, f.pixels);
    const frame: AhiImageFrame = {
      ID: id,
      PixelDataChecksumFromBaseToFullResolution: [
        { Width: f.width, Height: f.height, Checksum: f.crc32 },
      ],
      MinPixelValue: min,
      MaxPixelValue: max,
      FrameSizeInBytes: f.pixels.length,
    };
    doc.Study.Series[seriesUid] = {
      DICOM: {
        SeriesInstanceUID: seriesUid,
        Modality: f.samples === 3 ? 'US' : f.bitsAllocated === 1 ? 'SEG' : 'CT',
        SeriesDescription: f.description,
        SeriesNumber: String(++seriesNumber),
      },
      Instances: {
        [sopUid]: {
          DICOM: {
            SOPInstanceUID: sopUid,
            SOPClassUID:
              f.bitsAllocated === 1 ? '1.2.840.10008.5.1.4.1.1.66.4' : '1.2.840.10008.5.1.4.1.1.7',
            InstanceNumber: '1',
            Rows: f.height,
            Columns: f.width,
            BitsAllocated: f.bitsAllocated,
            BitsStored: f.bitsStored,
            HighBit: f.bitsStored - 1,
            PixelRepresentation: f.signed ? 1 : 0,
            SamplesPerPixel: f.samples,
            PhotometricInterpretation: f.photometric,
            ...(f.samples > 1 ? { PlanarConfiguration: 0 } : {}),
            NumberOfFrames: '1',
            ...(f.bitsAllocated === 16 ? { RescaleIntercept: '-1024', RescaleSlope: '1' } : {}),
          },
          StoredTransferSyntaxUID: f.syntax,
          ImageFrames: [frame],
        },
      },
    };
  }
  // Video: one image frame per instance, the clip as received; AHI's metadata gives no pixel
  // checksum a client could check without decoding the video, so these frames carry none.
  for (const v of VIDEOS) {
    const id = ahiId(name, v.file, 'frame');
    const bytes = new Uint8Array(await readFile(join(VIDEO_FIXTURES, v.file)));
    frames.set(id, { id, bytes, contentType: contentTypeFor(v.syntax) });
    const seriesUid = dicomUid(name, v.file, 'series');
    const sopUid = dicomUid(name, v.file, 'instance');
    doc.Study.Series[seriesUid] = {
      DICOM: {
        SeriesInstanceUID: seriesUid,
        Modality: 'ES',
        SeriesDescription: `${v.file}: ${v.description}`,
        SeriesNumber: String(++seriesNumber),
      },
      Instances: {
        [sopUid]: {
          DICOM: {
            SOPInstanceUID: sopUid,
            SOPClassUID: '1.2.840.10008.5.1.4.1.1.77.1.1.1',
            InstanceNumber: '1',
            ...pixelAttributes(
              { width: v.width, height: v.height, bits: 8, signed: false, samples: 3 },
              'YBR_PARTIAL_420',
            ),
            NumberOfFrames: String(v.frames),
            FrameTime: String(v.frameTimeMs),
          },
          StoredTransferSyntaxUID: v.syntax,
          ImageFrames: [{ ID: id, FrameSizeInBytes: bytes.length }],
        },
      },
    };
  }
  return {
    name,
    description:
      'Every syntax AHI stores besides HTJ2K lossless: JPEG 2000, JPEG, JPEG XL, HTJ2K lossy, a 1-bit segmentation, H.264 and MPEG-2 video',
    datastoreId: DATASTORE_ID,
    imageSetId,
    metadata: doc,
    frames,
    createdAt: new Date('2026-01-03T12:00:00Z'),
  };
}
