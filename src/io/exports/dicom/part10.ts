/**
 * One DICOM Part 10 file from what AHI keeps of a SOP instance: its Patient, Study, Series and
 * Instance attributes (AHI's metadata names them by keyword, with DICOMVRs where the dictionary
 * alone cannot say) and its frames, written by dcmjs. Pixel data either as stored (each frame's
 * codestream as AHI sent it, one fragment per frame, with a basic offset table) or native in
 * Explicit VR Little Endian (decoded pixels). The file meta information names the SOP class and
 * instance, the transfer syntax, and this app as the implementation.
 */
import dcmjs from 'dcmjs';
import { RetrieveError } from '../../../core/errors';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;
// dcmjs logs every attribute it does not know (AHI's own, private tags) to the console.
dcmjs.log.setLevel('error');

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This app's implementation class UID (a UUID-derived 2.25 UID) and version name. */
export const IMPLEMENTATION_CLASS_UID = '2.25.186431208137916312839587446735651207283';
export const IMPLEMENTATION_VERSION_NAME = 'AHIWEBRETR_0_1';

/** AHI's DICOM attributes of one instance, its levels merged (instance over series over …). */
export type Attributes = Record<string, unknown>;

export type PixelData =
  /** the frames' codestreams as stored, in a transfer syntax that encapsulates them */
  | { kind: 'encapsulated'; transferSyntax: string; frames: Uint8Array[] }
  /** decoded pixels, little endian, frame after frame */
  | { kind: 'native'; data: Uint8Array; bitsAllocated: number };

/** A private tag as AHI keys it ("7FDD1090"), or an attribute dcmjs does not know. */
const isKnown = (name: string) => name in DicomMetaDictionary.nameMap;

/** AHI's value as dcmjs takes it: null is empty, a PN string becomes its alphabetic group. */
const BINARY = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);

/** AHI gives binary values as base64 text. */
function fromBase64(text: string): ArrayBuffer {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

/** AHI spells character sets "ISO-IR 100"; DICOM's defined terms are "ISO_IR 100", "ISO 2022 IR 100". */
const charset = (v: unknown) =>
  typeof v === 'string'
    ? v.replace(/^ISO-IR /, 'ISO_IR ').replace(/^ISO-2022-IR /, 'ISO 2022 IR ')
    : v;

function valueOf(name: string, value: unknown): unknown {
  if (value === null || value === undefined) return [];
  if (name === 'SpecificCharacterSet') return (Array.isArray(value) ? value : [value]).map(charset);
  const vr = DicomMetaDictionary.nameMap[name]?.vr;
  if (vr && BINARY.has(vr))
    return (Array.isArray(value) ? value : [value]).map((v: unknown) =>
      typeof v === 'string' ? fromBase64(v) : v,
    );
  if (vr === 'SQ' && Array.isArray(value))
    return (value as unknown[]).map((item): unknown =>
      typeof item === 'object' && item ? dataset(item as Attributes) : item,
    );
  if (vr === 'PN') {
    const names: unknown[] = Array.isArray(value) ? value : [value];
    return names.map((n): unknown => (typeof n === 'string' ? { Alphabetic: n } : n));
  }
  return value;
}

/** The attributes dcmjs can write (private and unknown ones left out: AHI gives no VR for most). */
function dataset(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    // Group 0002 is the file meta information, written apart (AHI's documents carry some of it).
    const tag = DicomMetaDictionary.nameMap[name]?.tag ?? '';
    if (!isKnown(name) || name === 'PixelData' || /^\(?0002/.test(tag)) continue;
    out[name] = valueOf(name, value);
  }
  return out;
}

const uid = (attributes: Attributes, name: string): string => {
  const v = attributes[name];
  if (typeof v !== 'string' || v === '')
    throw new RetrieveError(
      'BadManifest',
      `The instance has no ${name}: it cannot be written as DICOM.`,
    );
  return v;
};

/**
 * SOP classes whose IOD has no Multi-frame module (CR, CT, MR, Secondary Capture): AHI's metadata
 * may list NumberOfFrames 1 for their instances, which the IOD does not allow.
 */
const SINGLE_FRAME = new Set([
  '1.2.840.10008.5.1.4.1.1.1',
  '1.2.840.10008.5.1.4.1.1.2',
  '1.2.840.10008.5.1.4.1.1.4',
  '1.2.840.10008.5.1.4.1.1.7',
]);

/** Writes one instance as a DICOM Part 10 file. */
export function part10(attributes: Attributes, pixels: PixelData): Uint8Array {
  const sopClass = uid(attributes, 'SOPClassUID');
  const sopInstance = uid(attributes, 'SOPInstanceUID');
  const transferSyntax =
    pixels.kind === 'encapsulated' ? pixels.transferSyntax : EXPLICIT_VR_LITTLE_ENDIAN;
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: transferSyntax,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const body = dataset(attributes);
  const frames =
    pixels.kind === 'encapsulated'
      ? pixels.frames.map((f) => f.slice().buffer)
      : [pixels.data.slice().buffer];
  const frameCount =
    pixels.kind === 'encapsulated' ? pixels.frames.length : Number(body['NumberOfFrames'] ?? 1);
  if (SINGLE_FRAME.has(sopClass) && frameCount === 1) delete body['NumberOfFrames'];
  else body['NumberOfFrames'] = String(frameCount);
  body['PixelData'] = frames;
  body['_vrMap'] = {
    PixelData: pixels.kind === 'native' && pixels.bitsAllocated > 8 ? 'OW' : 'OB',
  };
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(body);
  // One fragment per frame: each holds the frame's codestream exactly as AHI sent it.
  return new Uint8Array(dict.write({ fragmentMultiframe: false }));
}
