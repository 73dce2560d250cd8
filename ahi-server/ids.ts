/**
 * Deterministic AHI-style identifiers. Real AHI IDs are 32 lowercase hex characters; deriving them
 * from a name keeps the demo data stable across restarts and machines, so manifests written once
 * keep working.
 */
import { createHash } from 'node:crypto';

/** A 32-hex-character ID derived from `parts`. */
export function ahiId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** A DICOM UID under a private-looking root, derived from `parts` (digits only, ≤ 64 chars). */
export function dicomUid(...parts: (string | number)[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const n = digest.readBigUInt64BE(0).toString();
  return `2.25.${n}${digest.readUInt32BE(8)}`.slice(0, 64);
}
