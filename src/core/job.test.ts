import { describe, expect, it } from 'vitest';
import {
  blocksTheJob,
  canCancel,
  canResume,
  hasEnded,
  hasStarted,
  isBusy,
  isHalted,
  isUnderway,
  persistedState,
  phaseWhenBlocked,
  type JobPhase,
} from './job';

const PHASES: JobPhase[] = [
  'idle',
  'preparing',
  'running',
  'paused',
  'done',
  'failed',
  'cancelled',
];
const where = (p: (phase: JobPhase) => boolean) => PHASES.filter(p);

describe('job lifecycle', () => {
  it('saves a phase as the state a stored job keeps', () => {
    expect(PHASES.map(persistedState)).toEqual([
      'running',
      'running',
      'running',
      'paused',
      'done',
      'failed',
      'cancelled',
    ]);
  });

  it('answers each question for exactly the phases it names', () => {
    expect(where(isBusy)).toEqual(['preparing', 'running']);
    expect(where(isUnderway)).toEqual(['running', 'paused']);
    expect(where(hasEnded)).toEqual(['done', 'failed', 'cancelled']);
    expect(where(hasStarted)).toEqual(['running', 'paused', 'done', 'failed', 'cancelled']);
    expect(where(canResume)).toEqual(['paused', 'failed', 'cancelled']);
    expect(where(canCancel)).toEqual(['preparing', 'running', 'paused']);
    expect(where(isHalted)).toEqual(['paused', 'failed']);
  });

  it('lets credentials and storage stop the job, and nothing a retry can fix', () => {
    for (const code of [
      'AccessDenied',
      'ExpiredCredentials',
      'QuotaExceeded',
      'StorageFailed',
    ] as const)
      expect(blocksTheJob(code)).toBe(true);
    for (const code of [
      'Throttled',
      'Network',
      'ServerError',
      'ChecksumMismatch',
      'NotFound',
    ] as const)
      expect(blocksTheJob(code)).toBe(false);
    expect(phaseWhenBlocked('AccessDenied')).toBe('failed');
    expect(phaseWhenBlocked('ExpiredCredentials')).toBe('paused');
    expect(phaseWhenBlocked('QuotaExceeded')).toBe('paused');
  });
});
