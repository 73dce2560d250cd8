/**
 * Types for @cornerstonejs/codec-libjpeg-turbo-8bit's decoder-only build (the package ships none).
 * Only the calls we use are declared. On bad input decode() throws a bare number (an Emscripten
 * C++ exception pointer), not an Error.
 */
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  export interface JPEGDecoder {
    getEncodedBuffer(size: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    readHeader(): void;
    decode(): void;
    getFrameInfo(): FrameInfo;
    delete(): void;
  }
  export interface LibJpegTurboModule {
    JPEGDecoder: new () => JPEGDecoder;
  }
  export interface ModuleOptions {
    locateFile?: (path: string, scriptDirectory: string) => string;
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }
  const createModule: (options?: ModuleOptions) => Promise<LibJpegTurboModule>;
  export default createModule;
}
