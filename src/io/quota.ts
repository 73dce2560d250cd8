/**
 * Calls under an AHI quota that is not GetImageFrame's: SearchImageSets (25/s), GetImageSetMetadata
 * (50/s), the control plane (5/s and 10/s). Each call waits for a token of the quota's bucket, and a
 * throttled or transient failure is retried by the same policy the frames use (full jitter, a
 * higher base for throttling, Retry-After honoured), so a long cohort or "load all pages" slows
 * down instead of failing.
 */
import { RetrieveError, toErrorInfo } from '../core/errors';
import { DEFAULT_RETRY, RetryPolicy } from '../core/retry';
import { TokenBucket } from '../core/tokenBucket';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new DOMException('Aborted', 'AbortError'));
      },
      { once: true },
    );
  });

export class QuotaGate {
  private readonly bucket: TokenBucket;
  private readonly policy: RetryPolicy;

  constructor(
    /** requests per second (the quota) */
    readonly rate: number,
    /** told each retry: what failed and how long it waits */
    private readonly retried?: (message: string, delayMs: number) => void,
  ) {
    this.bucket = new TokenBucket(rate, rate, rate, performance.now());
    this.policy = new RetryPolicy({ ...DEFAULT_RETRY, maxAttempts: 6 });
  }

  /** Runs `call` within the quota, retrying what a retry can fix. */
  async run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      for (let wait = this.bucket.msUntilToken(performance.now()); wait > 0;) {
        await sleep(wait, signal);
        wait = this.bucket.msUntilToken(performance.now());
      }
      this.bucket.take(performance.now());
      try {
        const result = await call();
        this.policy.succeeded(attempt > 1);
        return result;
      } catch (e) {
        if (!(e instanceof RetrieveError)) throw e;
        const decision = this.policy.decide(toErrorInfo(e), attempt);
        if (!decision.retry) throw e;
        this.retried?.(e.message, decision.delayMs);
        await sleep(decision.delayMs, signal);
      }
    }
  }
}
