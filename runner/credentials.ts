/**
 * The runner's credentials: keys given on the command line or in the environment (checked as the
 * app checks them), or else the standard AWS chain from @aws-sdk/credential-providers (environment,
 * ~/.aws profiles and SSO, web identity, container and instance roles). Temporary credentials are
 * fetched again before they expire and handed to the threads' signers. Nothing here is logged.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { RetrieveError } from '../src/core/errors';
import type { Credentials } from '../src/core/protocol';
import { checkStatic, fromSdkCredentials } from '../src/io/credentials';
import type { RunOptions } from './args';

/** Fetch new credentials this long before the old ones expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export class RunnerCredentials {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listeners: ((c: Credentials) => void)[] = [];

  private constructor(
    public current: Credentials,
    private readonly fetchAgain?: () => Promise<Credentials>,
  ) {
    this.schedule();
  }

  /**
   * @throws RetrieveError BadInput for keys that cannot be right, AccessDenied when the chain
   * finds none (naming where it looked)
   */
  static async resolve(options: RunOptions): Promise<RunnerCredentials> {
    if (options.keys)
      return new RunnerCredentials(checkStatic({ kind: 'static', ...options.keys }));
    const chain = fromNodeProviderChain({ clientConfig: { region: options.region } });
    const fetchAgain = async (): Promise<Credentials> => {
      try {
        return fromSdkCredentials(await chain());
      } catch (e) {
        throw new RetrieveError(
          'AccessDenied',
          `No AWS credentials: give -a and -s, or set them up where the AWS chain looks (AWS_ACCESS_KEY_ID, AWS_PROFILE and ~/.aws, SSO, a container or instance role). The chain said: ${(e as Error).message}`,
        );
      }
    };
    return new RunnerCredentials(await fetchAgain(), fetchAgain);
  }

  /** Told of every new set of credentials. */
  onChange(listener: (c: Credentials) => void): void {
    this.listeners.push(listener);
  }

  /** Fetches new credentials now (an expired-token answer came back). */
  async refresh(): Promise<boolean> {
    if (!this.fetchAgain) return false;
    this.current = await this.fetchAgain();
    for (const l of this.listeners) l(this.current);
    this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const expiration = this.current.expiration?.getTime();
    if (!this.fetchAgain || expiration === undefined) return;
    // REFRESH_MARGIN_MS before expiry; credentials that live less than twice that, at half life.
    const left = expiration - Date.now();
    const wait = Math.max(1000, left > 2 * REFRESH_MARGIN_MS ? left - REFRESH_MARGIN_MS : left / 2);
    this.timer = setTimeout(() => void this.refresh().catch(() => this.schedule()), wait);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
