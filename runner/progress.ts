/**
 * What the runner says while it works: a live line on a terminal (frames, MB/s, Mbps, time left,
 * retries by cause), JSON lines for logs (`--progress json`), and a summary at the end. Rates are
 * over the last few seconds, so the line follows the network rather than the run's average.
 */

export interface Counts {
  /** frames this run is to end with: the shard's, less those already intact on disk */
  total: number;
  /** frames already intact in the folder when the run began */
  skipped: number;
  verified: number;
  stored: number;
  unverifiable: number;
  failed: number;
  bytes: number;
  /** retries so far, by cause (error code) */
  retries: Record<string, number>;
  inFlightLimit: number;
  /** why nothing moves right now (endpoint unreachable, credentials being refreshed) */
  waiting?: string;
}

const WINDOW_MS = 5000;

const mb = (bytes: number) => bytes / 1e6;

function duration(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export class ProgressReporter {
  private readonly samples: { t: number; frames: number; bytes: number }[] = [];
  private readonly started = performance.now();
  private lineShown = false;

  constructor(
    private readonly mode: 'line' | 'json' | 'none',
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  private rates(c: Counts, now: number): { fps: number; bps: number } {
    const frames = c.verified + c.stored + c.unverifiable + c.failed;
    this.samples.push({ t: now, frames, bytes: c.bytes });
    while (this.samples.length > 2 && this.samples[0]!.t < now - WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.t) / 1000;
    if (dt <= 0) return { fps: 0, bps: 0 };
    return { fps: (frames - first.frames) / dt, bps: (c.bytes - first.bytes) / dt };
  }

  /** One progress report now. */
  report(c: Counts): void {
    if (this.mode === 'none') return;
    const now = performance.now();
    const { fps, bps } = this.rates(c, now);
    const done = c.verified + c.stored + c.unverifiable + c.failed;
    const left = fps > 0 ? (c.total - done) / fps : Infinity;
    if (this.mode === 'json') {
      this.out.write(
        `${JSON.stringify({
          type: 'progress',
          elapsedMs: Math.round(now - this.started),
          frames: done,
          total: c.total,
          skipped: c.skipped,
          verified: c.verified,
          stored: c.stored,
          unverifiable: c.unverifiable,
          failed: c.failed,
          bytes: c.bytes,
          framesPerSecond: Math.round(fps * 10) / 10,
          megabytesPerSecond: Math.round(mb(bps) * 100) / 100,
          secondsLeft: Number.isFinite(left) ? Math.round(left) : null,
          inFlightLimit: c.inFlightLimit,
          retries: c.retries,
          ...(c.waiting ? { waiting: c.waiting } : {}),
        })}\n`,
      );
      return;
    }
    const retries = Object.entries(c.retries)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const line =
      `${done}/${c.total} frames  ${mb(bps).toFixed(1)} MB/s  ${((bps * 8) / 1e6).toFixed(0)} Mbps` +
      `  ${fps.toFixed(0)} frames/s  ${duration(left)} left  in flight ≤ ${c.inFlightLimit}` +
      (c.failed ? `  failed ${c.failed}` : '') +
      (retries ? `  retries: ${retries}` : '') +
      (c.waiting ? `  ${c.waiting}` : '');
    if (this.out.isTTY) {
      this.out.write(`\r${line.slice(0, (this.out.columns || 120) - 1)}\u001b[K`);
      this.lineShown = true;
    } else this.out.write(`${line}\n`);
  }

  private lastStep = -Infinity;

  /**
   * Where preparing the job is (searching a datastore, fetching metadata documents): a live line
   * on a terminal; otherwise at most one line (or JSON line) a second, and the `last` of a step.
   */
  step(text: string, fields: Record<string, unknown>, last = false): void {
    if (this.mode === 'none') return;
    const now = performance.now();
    if (this.mode === 'line' && this.out.isTTY) {
      this.out.write(`\r${text.slice(0, (this.out.columns || 120) - 1)}\u001b[K`);
      this.lineShown = true;
      return;
    }
    if (now - this.lastStep < 1000 && !last) return;
    this.lastStep = now;
    this.out.write(
      this.mode === 'json'
        ? `${JSON.stringify({ type: 'preparing', elapsedMs: Math.round(now - this.started), ...fields })}\n`
        : `${text}\n`,
    );
  }

  /** The summary of --save-manifests. */
  saved(s: { imageSets: number; frames: number; manifests: string }): void {
    if (this.lineShown) this.out.write('\r\u001b[K');
    this.lineShown = false;
    this.out.write(
      this.mode === 'json'
        ? `${JSON.stringify({ type: 'summary', ...s })}\n`
        : `${s.imageSets} image sets (${s.frames} frames): their metadata documents are in ${s.manifests}\n` +
            `  fetch them with -i ${s.manifests} (in a batch job, every shard with the same -i and --shard K/N or --shards N)\n`,
    );
  }

  /** A message between progress lines (a retry at INFO, a warning). */
  say(message: string): void {
    if (this.lineShown) {
      this.out.write('\r\u001b[K');
      this.lineShown = false;
    }
    this.out.write(`${message}\n`);
  }

  /** The run's summary (always printed, JSON in json mode). */
  summary(c: Counts, extra: Record<string, string>, metrics: Record<string, unknown> = {}): void {
    if (this.lineShown) this.out.write('\n');
    this.lineShown = false;
    const seconds = (performance.now() - this.started) / 1000;
    const done = c.verified + c.stored + c.unverifiable;
    if (this.mode === 'json') {
      this.out.write(
        `${JSON.stringify({ type: 'summary', seconds: Math.round(seconds * 10) / 10, ...c, ...extra, ...metrics })}\n`,
      );
      return;
    }
    const parts = [
      `${done} of ${c.total} frames stored in ${duration(seconds)}`,
      `${c.verified} verified`,
      ...(c.unverifiable ? [`${c.unverifiable} not verifiable by their syntax`] : []),
      ...(c.stored ? [`${c.stored} stored unchecked`] : []),
      ...(c.failed ? [`${c.failed} FAILED`] : []),
      ...(c.skipped ? [`${c.skipped} already intact on disk`] : []),
      `${mb(c.bytes).toFixed(1)} MB at ${seconds > 0 ? (mb(c.bytes) / seconds).toFixed(1) : '0'} MB/s`,
    ];
    this.out.write(`${parts.join(', ')}\n`);
    for (const [k, v] of Object.entries(extra)) if (v) this.out.write(`  ${k}: ${v}\n`);
  }
}
