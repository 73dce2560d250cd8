/**
 * Types for @cornerstonejs/codec-openjpeg's decoder-only build (the package ships none). Only the
 * calls we use are declared. The decoder never throws on bad input: it prints "[ERROR] …" lines and
 * leaves the previous frame's info and pixels in place, so the caller must read what it printed.
 */
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  export interface J2KDecoder {
    getEncodedBuffer(size: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    readHeader(): void;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getNumDecompositions(): number;
    getIsReversible(): boolean;
    delete(): void;
  }
  export interface OpenJpegModule {
    J2KDecoder: new () => J2KDecoder;
  }
  export interface ModuleOptions {
    locateFile?: (path: string, scriptDirectory: string) => string;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }
  const createModule: (options?: ModuleOptions) => Promise<OpenJpegModule>;
  export default createModule;
}
