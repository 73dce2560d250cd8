/**
 * Types for @cornerstonejs/codec-openjph (the package ships none). Only the calls we use are
 * declared. Buffers returned by get*Buffer are views into the WASM heap: they are invalidated by the
 * next call that grows the heap, so copy out (or checksum) before calling the codec again.
 */
declare module '@cornerstonejs/codec-openjph' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform: boolean;
  }
  export interface Size {
    width: number;
    height: number;
  }
  export interface HTJ2KDecoder {
    getEncodedBuffer(size: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    readHeader(): void;
    decode(): void;
    decodeSubResolution(decompositionLevel: number): void;
    calculateSizeAtDecompositionLevel(level: number): Size;
    getFrameInfo(): FrameInfo;
    getNumDecompositions(): number;
    getIsReversible(): boolean;
    getLastErrorMessage(): string;
    delete(): void;
  }
  export interface HTJ2KEncoder {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    getEncodedBuffer(): Uint8Array;
    encode(): void;
    setDecompositions(n: number): void;
    setQuality(lossless: boolean, quantizationStep: number): void;
    setProgressionOrder(order: number): void;
    delete(): void;
  }
  export interface OpenJphModule {
    HTJ2KDecoder: new () => HTJ2KDecoder;
    HTJ2KEncoder: new () => HTJ2KEncoder;
    getVersion(): string;
    getSIMDLevel(): number;
    HEAPU8: Uint8Array;
  }
  export interface ModuleOptions {
    locateFile?: (path: string, scriptDirectory: string) => string;
    wasmBinary?: ArrayBuffer | Uint8Array;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }
  const createModule: (options?: ModuleOptions) => Promise<OpenJphModule>;
  export default createModule;
}
