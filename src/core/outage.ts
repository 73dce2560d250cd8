/**
 * The outage detector: tells a frame's own network failure from the endpoint being unreachable
 * (server down, network gone, laptop asleep). Network failures of OUTAGE.streak different frames
 * with no answer from the endpoint between them mean an outage; so does one while the job is
 * probing (its first request, or a probe during an outage). During an outage frames wait without
 * spending attempts and one probe goes out after a delay that doubles up to a bound, until
 * something answers. Before the endpoint has answered at all in a run, a network failure is a
 * wrong address or no network: the job stops and says so rather than wait. The scheduler owns the
 * queue and the timers; this class owns the decision. Time is passed in (ms).
 */

export const OUTAGE = { streak: 8, firstDelayMs: 1000, maxDelayMs: 15_000 };

/** What to do with a frame whose request failed with a network error. */
export type NetworkVerdict =
  /** the endpoint never answered in this run: pause the job with this error */
  | { kind: 'block' }
  /** the frame's own problem: the retry policy decides */
  | { kind: 'retry' }
  /**
   * wait out the outage: the frame goes back to the queue, its attempt spent only if it was the
   * probe; `delayMs` is set when this failure starts the outage or extends it (the probe failed),
   * and is the wait before the next probe
   */
  | { kind: 'wait'; spendAttempt: boolean; delayMs?: number };

export class OutageDetector {
  /** frames that failed with a network error since the last answer from the endpoint */
  private readonly streak = new Set<string>();
  /** the endpoint has answered in this run */
  private reached = false;
  private outage: { delayMs: number; nextProbeAt: number; probeKey?: string } | undefined;

  constructor(private readonly config = OUTAGE) {}

  /** An outage is being waited out. */
  get waiting(): boolean {
    return this.outage !== undefined;
  }

  /** Time until the next probe may go out, ms (0 or less: now; always 0 outside an outage). */
  msUntilProbe(now: number): number {
    return this.outage ? this.outage.nextProbeAt - now : 0;
  }

  /** The frame sent as the outage's probe. */
  probeSent(key: string): void {
    if (this.outage) this.outage.probeKey = key;
  }

  /** The endpoint answered (a success or an error of its own). True when that ends an outage. */
  answered(): boolean {
    this.reached = true;
    this.streak.clear();
    const ended = this.outage !== undefined;
    this.outage = undefined;
    return ended;
  }

  /**
   * A frame failed with a network error.
   * @param probing the job sends one request at a time now (slow start, or an outage's probe)
   * @param lastAttempt the frame has no attempts left after this one
   */
  networkFailure(key: string, now: number, probing: boolean, lastAttempt: boolean): NetworkVerdict {
    if (!this.reached) return { kind: 'block' };
    this.streak.add(key);
    const o = this.outage;
    const probe = o?.probeKey === key;
    const outage = o !== undefined || probing || this.streak.size >= this.config.streak;
    // A probe spends its frame's attempt, so a frame that alone keeps failing ends failed.
    if (!outage || (probe && lastAttempt)) return { kind: 'retry' };
    // Requests that were in flight when the outage began wait without changing it.
    if (o && !probe) return { kind: 'wait', spendAttempt: false };
    const delayMs = o ? Math.min(o.delayMs * 2, this.config.maxDelayMs) : this.config.firstDelayMs;
    this.outage = { delayMs, nextProbeAt: now + delayMs };
    return { kind: 'wait', spendAttempt: probe, delayMs };
  }

  /** Forgets the outage (the job stopped). */
  reset(): void {
    this.outage = undefined;
  }
}
