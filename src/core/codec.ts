/**
 * The codec contract: one module per transfer syntax (workers/codec/), chosen from one registry
 * (workers/codec/registry.ts) by the response's Content-Type and the metadata's
 * StoredTransferSyntaxUID, as cornerstone3D's image loader dispatches one decoder file per syntax.
 * A codec turns a frame's bytes, with what the plan knows of the frame, into pixels and geometry.
 */
import type { FrameGeometry } from './protocol';

/** What the plan knows of a frame before its bytes arrive. */
export interface FrameInfo {
  /** from the instance's metadata: the size of an uncompressed body */
  geometry?: FrameGeometry;
  /** StoredTransferSyntaxUID, when the metadata says */
  syntax?: string;
}

/** Decoded pixels, little-endian samples, interleaved. */
export interface DecodedView {
  width: number;
  height: number;
  bitsPerSample: number;
  signed: boolean;
  components: number;
  /** a view that may point into a WASM heap: valid until the codec's next call; copy what you keep */
  pixels: Uint8Array;
}

export interface Codec {
  /** what a person calls the syntax (in error messages) */
  name: string;
  /** response Content-Types it decodes */
  contentTypes: readonly string[];
  /** StoredTransferSyntaxUIDs it decodes */
  syntaxes: readonly string[];
  /** the body alone does not say the frame's size: decoding needs `FrameInfo.geometry` */
  needsGeometry: boolean;
  /** Loads its WASM once per worker; later calls return at once. */
  load(): Promise<void>;
  /**
   * Decodes a frame at full resolution. Loaded first (`load`).
   * @throws RetrieveError DecodeFailed for bytes it cannot decode (never stale pixels)
   */
  decode(bytes: Uint8Array, info: FrameInfo): DecodedView;
  /** Bytes its WASM memory holds now: tests watch it stay flat over thousands of decodes. */
  heapBytes?(): number;
  /** A cheap reduced-resolution decode, at least `maxSize` on its larger side, where it has one. */
  thumbnail?(bytes: Uint8Array, info: FrameInfo, maxSize: number): DecodedView;
}
