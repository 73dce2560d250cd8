/**
 * Credentials: static keys, or a Cognito identity pool through
 * @aws-sdk/credential-provider-cognito-identity (loaded only when used). Temporary credentials are
 * refreshed before they expire and every listener is told, so the signers are rebuilt. Nothing here
 * is ever persisted or logged: error messages name the pool, never a key or token.
 */
import { RetrieveError } from '../core/errors';
import type { Credentials } from '../core/protocol';

export type CredentialInput =
  | { kind: 'static'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: 'cognito'; identityPoolId: string; region: string; login?: string; endpoint?: string };

/** Refresh this long before expiry (or at half the lifetime, for short-lived credentials). */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const IDENTITY_POOL_RE = /^[a-z]{2}(-gov)?-[a-z]+-\d:[0-9a-f-]{36}$/;

/** Checks static keys for the mistakes people make, before any request. */
export function checkStatic(input: Extract<CredentialInput, { kind: 'static' }>): Credentials {
  const accessKeyId = input.accessKeyId.trim();
  const secretAccessKey = input.secretAccessKey.trim();
  const sessionToken = input.sessionToken?.trim() ?? '';
  if (!accessKeyId) throw new RetrieveError('BadInput', 'Enter an access key ID.');
  if (!/^[A-Z0-9]{8,128}$/.test(accessKeyId)) {
    throw new RetrieveError(
      'BadInput',
      'The access key ID should be capital letters and digits only (like AKIA… or ASIA…): is the secret in the wrong field?',
    );
  }
  if (!secretAccessKey)
    throw new RetrieveError(
      'BadInput',
      'Enter the secret access key that goes with the access key ID.',
    );
  if (accessKeyId.startsWith('ASIA') && !sessionToken) {
    throw new RetrieveError(
      'BadInput',
      'Access keys starting with ASIA are temporary: enter their session token too.',
    );
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** An AWS SDK credential provider's answer as ours (its expiry kept, nothing else). */
export const fromSdkCredentials = (c: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}): Credentials => ({
  accessKeyId: c.accessKeyId,
  secretAccessKey: c.secretAccessKey,
  ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
  ...(c.expiration ? { expiration: c.expiration } : {}),
});

async function cognitoCredentials(
  input: Extract<CredentialInput, { kind: 'cognito' }>,
): Promise<Credentials> {
  const poolId = input.identityPoolId.trim();
  if (!IDENTITY_POOL_RE.test(poolId)) {
    throw new RetrieveError(
      'BadInput',
      `Identity pool ID "${poolId}" should look like us-east-1:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.`,
    );
  }
  const logins: Record<string, string> = {};
  if (input.login?.trim()) {
    const eq = input.login.indexOf('=');
    if (eq <= 0)
      throw new RetrieveError(
        'BadInput',
        'The Cognito login should be provider=token (e.g. cognito-idp.<region>.amazonaws.com/<user pool>=<ID token>).',
      );
    logins[input.login.slice(0, eq).trim()] = input.login.slice(eq + 1).trim();
  }
  const { fromCognitoIdentityPool } = await import('@aws-sdk/credential-provider-cognito-identity');
  const provider = fromCognitoIdentityPool({
    identityPoolId: poolId,
    ...(Object.keys(logins).length ? { logins } : {}),
    clientConfig: {
      region: input.region,
      ...(input.endpoint?.trim() ? { endpoint: input.endpoint.trim() } : {}),
      maxAttempts: 3,
    },
  });
  try {
    return fromSdkCredentials(await provider());
  } catch (e) {
    const name = (e as { name?: string }).name ?? 'Error';
    throw new RetrieveError(
      name === 'ResourceNotFoundException' || name === 'NotAuthorizedException'
        ? 'AccessDenied'
        : 'Network',
      `Cognito could not issue credentials for identity pool ${poolId}: ${name}: ${(e as Error).message}`,
    );
  }
}

export class CredentialManager {
  private current: Credentials;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Set<(c: Credentials) => void>();
  private refreshing: Promise<Credentials> | undefined;

  private constructor(
    private readonly input: CredentialInput,
    first: Credentials,
  ) {
    this.current = first;
    this.schedule();
  }

  /** Checks the input and fetches the first credentials (Cognito). */
  static async create(input: CredentialInput): Promise<CredentialManager> {
    const first = input.kind === 'static' ? checkStatic(input) : await cognitoCredentials(input);
    return new CredentialManager(input, first);
  }

  get credentials(): Credentials {
    return this.current;
  }

  /** Cognito credentials refresh by themselves; static ones need a person. */
  get canRefresh(): boolean {
    return this.input.kind === 'cognito';
  }

  onChange(listener: (c: Credentials) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches new credentials now (one refresh at a time) and tells every listener. */
  refresh(): Promise<Credentials> {
    if (this.input.kind !== 'cognito') {
      return Promise.reject(
        new RetrieveError(
          'ExpiredCredentials',
          'The credentials expired: enter new ones and press Resume.',
        ),
      );
    }
    const input = this.input;
    this.refreshing ??= cognitoCredentials(input)
      .then((c) => {
        this.replace(c);
        return c;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Replaces the credentials (a person typed new static keys). */
  replace(c: Credentials): void {
    this.current = c;
    this.schedule();
    for (const l of this.listeners) l(c);
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const expiration = this.current.expiration?.getTime();
    if (expiration === undefined || this.input.kind !== 'cognito') return;
    const lifetime = expiration - Date.now();
    const wait = Math.max(0, Math.min(lifetime - REFRESH_MARGIN_MS, lifetime / 2));
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), wait);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.listeners.clear();
  }
}
