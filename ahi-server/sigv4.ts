/**
 * SigV4 verification as AWS does it, using AWS's own signer (@smithy/signature-v4) to recompute the
 * signature over exactly the headers the client signed. The error codes and messages are the ones
 * AWS services answer with, so a client that handles these handles AWS.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const SERVICE = 'medical-imaging';
const MAX_SKEW_MS = 5 * 60 * 1000;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AuthConfig {
  region: string;
  /** the long-lived pair the server accepts */
  credentials: Credentials;
  /** secret used to mint and check temporary credentials */
  mintKey: string;
  /** when set, every credential expires this many seconds after it was issued (the static pair: after server start) */
  credentialsTtlSeconds?: number;
  startedAt: number;
  now?: () => number;
}

export interface SignedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Uint8Array;
}

export class AuthError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Temporary credentials the server mints (a stand-in for STS / Cognito in tests). */
export function mintCredentials(
  config: AuthConfig,
  ttlSeconds: number,
): Credentials & { expiration: Date } {
  const now = (config.now ?? Date.now)();
  const expires = now + ttlSeconds * 1000;
  const accessKeyId = `ASIA${createHash('sha256').update(`${now}:${Math.random()}`).digest('hex').slice(0, 16).toUpperCase()}`;
  const payload = Buffer.from(JSON.stringify({ k: accessKeyId, e: expires })).toString('base64url');
  const mac = createHmac('sha256', config.mintKey).update(payload).digest('base64url');
  return {
    accessKeyId,
    secretAccessKey: createHmac('sha256', config.mintKey)
      .update(`secret:${accessKeyId}`)
      .digest('base64'),
    sessionToken: `${payload}.${mac}`,
    expiration: new Date(expires),
  };
}

function resolveCredentials(
  config: AuthConfig,
  keyId: string,
  token: string | undefined,
  now: number,
): Credentials {
  const invalid = () =>
    new AuthError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  const expired = () =>
    new AuthError('ExpiredTokenException', 'The security token included in the request is expired');
  if (keyId === config.credentials.accessKeyId) {
    if (config.credentials.sessionToken !== undefined && token !== config.credentials.sessionToken)
      throw invalid();
    if (
      config.credentialsTtlSeconds !== undefined &&
      now > config.startedAt + config.credentialsTtlSeconds * 1000
    )
      throw expired();
    return config.credentials;
  }
  if (!keyId.startsWith('ASIA') || !token) throw invalid();
  const [payload, mac] = token.split('.');
  if (!payload || !mac) throw invalid();
  const expected = createHmac('sha256', config.mintKey).update(payload).digest('base64url');
  if (expected.length !== mac.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(mac)))
    throw invalid();
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    k: string;
    e: number;
  };
  if (claims.k !== keyId) throw invalid();
  if (now > claims.e) throw expired();
  return {
    accessKeyId: keyId,
    secretAccessKey: createHmac('sha256', config.mintKey)
      .update(`secret:${keyId}`)
      .digest('base64'),
    sessionToken: token,
  };
}

/**
 * Verifies a request's SigV4 signature. Resolves with the access key ID, or throws AuthError with
 * AWS's error type and message.
 */
export async function verifySigV4(req: SignedRequest, config: AuthConfig): Promise<string> {
  const now = (config.now ?? Date.now)();
  const authorization = req.headers['authorization'];
  if (!authorization)
    throw new AuthError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH_RE.exec(authorization.trim());
  if (!m) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(' ')[0] ?? ''}`,
    );
  }
  const [, keyId, scopeDate, region, service, signedHeaderList, signature] =
    m as unknown as string[];
  const signedHeaders = signedHeaderList!.split(';');
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !signedHeaders.includes('x-amz-date')) {
    throw new AuthError(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  if (!signedHeaders.includes('host')) {
    throw new AuthError(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const signingTime = parseAmzDate(amzDate);
  if (signingTime === undefined)
    throw new AuthError(
      'IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`,
    );
  const fmt = (t: number) =>
    new Date(t)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  if (signingTime < now - MAX_SKEW_MS) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${fmt(now - MAX_SKEW_MS)} (${fmt(now)} - 5 min.)`,
    );
  }
  if (signingTime > now + MAX_SKEW_MS) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${fmt(now + MAX_SKEW_MS)} (${fmt(now)} + 5 min.)`,
    );
  }
  if (scopeDate !== amzDate.slice(0, 8)) {
    throw new AuthError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
  const token = req.headers['x-amz-security-token'];
  const credentials = resolveCredentials(config, keyId!, token, now);
  if (service !== SERVICE)
    throw new AuthError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${SERVICE}'. `,
    );
  if (region !== config.region)
    throw new AuthError(
      'InvalidSignatureException',
      'Credential should be scoped to a valid region. ',
    );

  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimedHash = req.headers['x-amz-content-sha256'];
  const mismatch = new AuthError(
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
  if (claimedHash !== undefined && claimedHash !== bodyHash) throw mismatch;

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) throw mismatch;
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      // Only sign the token if the client did: smithy adds the header when a token is given.
      ...(signedHeaders.includes('x-amz-security-token') && token ? { sessionToken: token } : {}),
    },
    region: region,
    service: service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: req.method,
    protocol: 'https:',
    hostname: headers['host']!.replace(/:\d+$/, ''),
    path: req.path,
    query: req.query,
    headers,
    body: req.body,
  });
  const signed = await signer.sign(request, {
    signingDate: new Date(signingTime),
    signableHeaders: new Set(signedHeaders),
    unsignableHeaders: new Set(Object.keys(headers).filter((h) => !signedHeaders.includes(h))),
  });
  const computed =
    /Signature=([0-9a-f]{64})/.exec(String(signed.headers['authorization']))?.[1] ?? '';
  const a = Buffer.from(computed);
  const b = Buffer.from(signature!);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw mismatch;
  return keyId!;
}
