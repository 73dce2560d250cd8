/** Identifier rules, shared by manifest validation, the API client and the UI. */

/** AHI datastore, image set and image frame IDs: 32 characters of [0-9a-z] (in practice, hex). */
export const AHI_ID_RE = /^[0-9a-z]{32}$/;

export function isAhiId(value: unknown): value is string {
  return typeof value === 'string' && AHI_ID_RE.test(value);
}

/** Explains why `value` is not an AHI ID, or returns undefined when it is one. */
export function ahiIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string')
    return `expected a string of 32 lowercase letters or digits, got ${describeValue(value)}`;
  if (value.length !== 32)
    return `expected 32 lowercase letters or digits, got ${value.length} characters`;
  if (!AHI_ID_RE.test(value)) {
    const bad = [...value].find((c) => !/[0-9a-z]/.test(c));
    return `expected 32 lowercase letters or digits, found '${bad ?? '?'}'`;
  }
  return undefined;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return `${typeof value} ${JSON.stringify(value)}`;
}
