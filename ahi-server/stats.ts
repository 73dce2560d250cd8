/**
 * The local AHI's counters, served at GET /__ahi/stats: what the browser really did (sessions,
 * streams, operations, errors, frames served and how often), which a page cannot observe itself.
 */
export interface Stats {
  startedAt: string;
  /** AWS API requests (preflights and the local /demo and /__ahi paths are counted apart) */
  requests: number;
  preflights: number;
  localRequests: number;
  cognitoRequests: number;
  /** temporary credentials handed out (Cognito stand-in and /demo/credentials) */
  credentialsIssued: number;
  byOperation: Record<string, number>;
  byStatus: Record<string, number>;
  errorsByType: Record<string, number>;
  /** body bytes sent for GetImageFrame */
  frameBytes: number;
  bytesSent: number;
  tlsConnections: number;
  http2Sessions: number;
  http1Requests: number;
  currentStreams: number;
  peakStreams: number;
  peakStreamsPerSession: number;
  resets: number;
  corrupted: number;
  /** frame IDs served with 200, counted per ID: lets tests check nothing was fetched twice */
  framesServed: number;
  distinctFramesServed: number;
}

export function freshStats(): Stats {
  return {
    startedAt: new Date().toISOString(),
    requests: 0,
    preflights: 0,
    localRequests: 0,
    cognitoRequests: 0,
    credentialsIssued: 0,
    byOperation: {},
    byStatus: {},
    errorsByType: {},
    frameBytes: 0,
    bytesSent: 0,
    tlsConnections: 0,
    http2Sessions: 0,
    http1Requests: 0,
    currentStreams: 0,
    peakStreams: 0,
    peakStreamsPerSession: 0,
    resets: 0,
    corrupted: 0,
    framesServed: 0,
    distinctFramesServed: 0,
  };
}

export const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** The counters and the per-frame tally behind `distinctFramesServed`, reset together. */
export class Counters {
  stats = freshStats();
  private served = new Map<string, number>();

  reset(): void {
    this.stats = freshStats();
    this.served = new Map();
  }

  /** A frame's body went out whole. */
  frameServed(id: string, bytes: number): void {
    const s = this.stats;
    s.bytesSent += bytes;
    s.frameBytes += bytes;
    s.framesServed++;
    const count = (this.served.get(id) ?? 0) + 1;
    this.served.set(id, count);
    if (count === 1) s.distinctFramesServed++;
  }
}
