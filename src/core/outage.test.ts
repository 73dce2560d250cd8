import { describe, expect, it } from 'vitest';
import { OutageDetector } from './outage';

/** A detector that has been answered once (the endpoint was reachable in this run). */
function reachable() {
  const d = new OutageDetector({ streak: 3, firstDelayMs: 1000, maxDelayMs: 4000 });
  d.answered();
  return d;
}

describe('OutageDetector', () => {
  it('stops the job when the endpoint never answered in this run', () => {
    const d = new OutageDetector();
    expect(d.networkFailure('a', 0, true, false)).toEqual({ kind: 'block' });
    expect(d.networkFailure('b', 0, false, false)).toEqual({ kind: 'block' });
  });

  it('leaves one frame failing again and again to the retry policy', () => {
    const d = reachable();
    for (let i = 0; i < 10; i++) expect(d.networkFailure('a', i, false, false).kind).toBe('retry');
    expect(d.waiting).toBe(false);
  });

  it('calls it an outage after failures of `streak` different frames with no answer between', () => {
    const d = reachable();
    expect(d.networkFailure('a', 0, false, false).kind).toBe('retry');
    expect(d.networkFailure('b', 0, false, false).kind).toBe('retry');
    expect(d.networkFailure('c', 5, false, false)).toEqual({
      kind: 'wait',
      spendAttempt: false,
      delayMs: 1000,
    });
    expect(d.waiting).toBe(true);
    expect(d.msUntilProbe(5)).toBe(1000);
    expect(d.msUntilProbe(1005)).toBe(0);
  });

  it('starts the count again whenever the endpoint answers', () => {
    const d = reachable();
    d.networkFailure('a', 0, false, false);
    d.networkFailure('b', 0, false, false);
    expect(d.answered()).toBe(false);
    expect(d.networkFailure('c', 0, false, false).kind).toBe('retry');
  });

  it('takes a failure while probing as an outage at once', () => {
    const d = reachable();
    expect(d.networkFailure('a', 0, true, false)).toEqual({
      kind: 'wait',
      spendAttempt: false,
      delayMs: 1000,
    });
  });

  it('doubles the wait after each failed probe, up to the bound; the probe spends its attempt', () => {
    const d = reachable();
    d.networkFailure('a', 0, true, false);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      d.probeSent(`p${i}`);
      const v = d.networkFailure(`p${i}`, 0, true, false);
      expect(v).toMatchObject({ kind: 'wait', spendAttempt: true });
      delays.push(v.kind === 'wait' ? (v.delayMs ?? -1) : -1);
    }
    expect(delays).toEqual([2000, 4000, 4000, 4000]);
  });

  it('lets requests in flight when it began wait without changing the wait', () => {
    const d = reachable();
    d.networkFailure('a', 0, true, false);
    d.probeSent('p');
    expect(d.networkFailure('x', 10, true, false)).toEqual({ kind: 'wait', spendAttempt: false });
    expect(d.msUntilProbe(0)).toBe(1000);
  });

  it('gives a probe that used its last attempt to the retry policy (it ends failed)', () => {
    const d = reachable();
    d.networkFailure('a', 0, true, false);
    d.probeSent('p');
    expect(d.networkFailure('p', 0, true, true)).toEqual({ kind: 'retry' });
  });

  it('ends the outage on the first answer, once', () => {
    const d = reachable();
    d.networkFailure('a', 0, true, false);
    expect(d.answered()).toBe(true);
    expect(d.answered()).toBe(false);
    expect(d.waiting).toBe(false);
    expect(d.msUntilProbe(0)).toBe(0);
  });
});
