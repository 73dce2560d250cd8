/** The part of dcmjs (no types of its own) the DICOM export and the local server's import use. */
declare module 'dcmjs' {
  type Dataset = Record<string, unknown>;
  interface DicomDictInstance {
    dict: Dataset;
    write(options?: { fragmentMultiframe?: boolean; allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomDict: new (meta: Dataset) => DicomDictInstance;
      DicomMessage: { readFile(buffer: ArrayBuffer): DicomDictInstance };
      DicomMetaDictionary: {
        denaturalizeDataset(dataset: Dataset): Dataset;
        naturalizeDataset(dataset: Dataset): Dataset;
        nameMap: Record<string, { tag: string; vr: string; name: string }>;
      };
    };
    log: { setLevel(level: string): void };
  };
  export default dcmjs;
}
