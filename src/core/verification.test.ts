import { describe, expect, it } from 'vitest';
import { syntaxInfo } from './syntax';
import { judge } from './verification';

const lossless = syntaxInfo('1.2.840.10008.1.2.4.90');
const lossy = syntaxInfo('1.2.840.10008.1.2.4.50');

describe('what a checksum proves', () => {
  it('verifies a match in any syntax, and stores unchecked without a checksum', () => {
    expect(judge(7, 7, lossless, 1)).toEqual({ outcome: 'verified' });
    expect(judge(7, 7, lossy, 1)).toEqual({ outcome: 'verified' });
    expect(judge(undefined, 7, lossless, 1)).toEqual({ outcome: 'stored' });
  });

  it('takes a lossless mismatch as damage, on every attempt', () => {
    expect(judge(7, 8, lossless, 1)).toEqual({ outcome: 'mismatch' });
    expect(judge(7, 8, lossless, 2)).toEqual({ outcome: 'mismatch' });
    expect(judge(7, 8, syntaxInfo(undefined), 3)).toEqual({ outcome: 'mismatch' });
  });

  it('fetches a lossy mismatch once more, then keeps it as not verifiable with the reason', () => {
    expect(judge(7, 8, lossy, 1)).toEqual({ outcome: 'mismatch' });
    const second = judge(7, 8, lossy, 2);
    expect(second.outcome).toBe('unverifiable');
    expect(second.outcome === 'unverifiable' && second.reason).toContain(
      'JPEG baseline may be lossy',
    );
    expect(second.outcome === 'unverifiable' && second.detail).toBe('CRC-32 8, AHI 7');
  });

  it('takes a mismatch in an unknown syntax as damage', () => {
    expect(judge(7, 8, undefined, 2)).toEqual({ outcome: 'mismatch' });
  });
});
