/**
 * Typed errors that cross every boundary (worker → pool → state → UI) as plain data: a small union
 * of codes the UI turns into specific words, never a stack of strings to parse.
 */

export type ErrorCode =
  | 'Throttled'
  | 'AccessDenied'
  | 'ExpiredCredentials'
  | 'NotFound'
  | 'Validation'
  | 'Conflict'
  | 'ServerError'
  | 'Network'
  | 'Truncated'
  | 'ChecksumMismatch'
  | 'UnsupportedSyntax'
  | 'SyntaxMismatch'
  | 'DecodeFailed'
  | 'QuotaExceeded'
  | 'StorageFailed'
  | 'WriteRefused'
  | 'BadManifest'
  | 'BadInput'
  | 'Cancelled';

/** What crosses a boundary: structured-clone safe. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** HTTP status, when the error came from a response */
  status?: number;
  /** AWS error type (x-amzn-ErrorType), when given */
  awsType?: string;
  /** server-requested wait before a retry, ms */
  retryAfterMs?: number;
}

export class RetrieveError extends Error {
  override readonly name = 'RetrieveError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Omit<ErrorInfo, 'code' | 'message'> = {},
  ) {
    super(message);
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** Converts anything thrown into ErrorInfo; unknown errors count as network faults only if fetch threw them. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof RetrieveError) return e.toInfo();
  if (e instanceof DOMException && e.name === 'AbortError')
    return { code: 'Cancelled', message: 'Cancelled' };
  if (e instanceof DOMException && e.name === 'QuotaExceededError') {
    return { code: 'QuotaExceeded', message: 'The browser ran out of storage for this site' };
  }
  if (e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError'))
    return { code: 'WriteRefused', message: `The browser refused to write: ${e.message}` };
  if (e instanceof TypeError) return { code: 'Network', message: `Network error: ${e.message}` };
  if (e instanceof Error) return { code: 'ServerError', message: e.message };
  return { code: 'ServerError', message: String(e) };
}

/** One sentence a person can act on, per code. */
export const ERROR_ADVICE: Record<ErrorCode, string> = {
  Throttled: 'AHI is throttling requests; the app backs off and retries by itself.',
  AccessDenied:
    'The credentials were refused: check the access key, secret, session token and region.',
  ExpiredCredentials: 'The credentials expired: enter new ones (or refresh Cognito) to continue.',
  NotFound: 'AHI does not have this datastore, image set or frame.',
  Validation: 'AHI rejected the request as malformed.',
  Conflict: 'The image set is being updated; retry in a few seconds.',
  ServerError: 'AHI answered with a server error; the app retries these.',
  Network:
    'The connection to the endpoint failed: check its address and the network. While a job runs, the app retries and waits out outages.',
  Truncated: 'A frame arrived shorter than announced; it is fetched again.',
  ChecksumMismatch: 'Decoded pixels do not match the checksum AHI published.',
  UnsupportedSyntax:
    'The frame is stored in a syntax this app cannot decode (it can still be saved as received).',
  SyntaxMismatch:
    "AHI sent the frame in another syntax than its metadata names: one of the two is wrong, so the frame is not guessed at. Report it to the datastore's owner.",
  DecodeFailed:
    'The decoder rejected the frame: its bytes are damaged or not what they claim to be.',
  QuotaExceeded: 'The browser ran out of storage for this site.',
  StorageFailed:
    "The browser's storage for this site did not respond. Everything stored is kept: press Resume, or reload the page and resume.",
  WriteRefused:
    'The browser refused to write to that file or folder: grant the permission again, or pick another place.',
  BadManifest: 'The manifest is not valid.',
  BadInput: 'A setting is not valid.',
  Cancelled: 'Cancelled.',
};
