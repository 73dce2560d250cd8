/** The benchmark's ceiling API (workers/ceiling.ts implements it; src/bench/ drives it). */

export interface FrameRef {
  datastoreId: string;
  imageSetId: string;
  frameId: string;
}

export interface FetchLoopResult {
  frames: number;
  bytes: number;
  /** wall time of the fetch loop alone */
  ms: number;
  /** time spent signing the requests beforehand */
  signMs: number;
}

type Creds = { accessKeyId: string; secretAccessKey: string };

export interface CeilingApi {
  fetchLoop(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: Creds,
    inFlight: number,
    read: 'arrayBuffer' | 'reader',
  ): Promise<FetchLoopResult>;
  decodeLoop(codestreams: ArrayBuffer[], repeat: number): Promise<{ frames: number; ms: number }>;
  fetchBodies(
    frames: FrameRef[],
    endpoint: string,
    region: string,
    creds: Creds,
  ): Promise<ArrayBuffer[]>;
}
