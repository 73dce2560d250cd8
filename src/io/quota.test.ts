import { describe, expect, it } from 'vitest';
import { RetrieveError } from '../core/errors';
import { controlPlaneEndpoint } from './controlPlane';
import { QuotaGate } from './quota';

describe('QuotaGate', () => {
  it('retries what a retry can fix, saying so, and returns the answer', async () => {
    const said: string[] = [];
    const gate = new QuotaGate(100, (m) => said.push(m));
    let calls = 0;
    const answer = await gate.run(() =>
      ++calls < 3
        ? Promise.reject(new RetrieveError('Conflict', `busy ${calls}`))
        : Promise.resolve('ok'),
    );
    expect([answer, calls, said]).toEqual(['ok', 3, ['busy 1', 'busy 2']]);
  });

  it('gives up at once on what no retry fixes, and after its attempts on the rest', async () => {
    const gate = new QuotaGate(100);
    let calls = 0;
    await expect(
      gate.run(() => {
        calls++;
        return Promise.reject(new RetrieveError('Validation', 'bad filter'));
      }),
    ).rejects.toThrow('bad filter');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      gate.run(() => {
        calls++;
        return Promise.reject(new RetrieveError('Conflict', 'still busy'));
      }),
    ).rejects.toThrow('still busy');
    expect(calls).toBe(6);
  });

  it('keeps to its rate: 30 calls at 20/s take about half a second past the burst', async () => {
    const gate = new QuotaGate(20);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 30 }, () => gate.run(() => Promise.resolve())));
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(450);
  });
});

describe('controlPlaneEndpoint', () => {
  it('is AWS’s control-plane host for AWS’s runtime host, and the endpoint itself otherwise', () => {
    expect(controlPlaneEndpoint('https://runtime-medical-imaging.us-east-1.amazonaws.com')).toBe(
      'https://medical-imaging.us-east-1.amazonaws.com',
    );
    expect(
      controlPlaneEndpoint('https://runtime-medical-imaging-fips.us-west-2.amazonaws.com'),
    ).toBe('https://medical-imaging-fips.us-west-2.amazonaws.com');
    expect(controlPlaneEndpoint('https://127.0.0.1:8443')).toBe('https://127.0.0.1:8443');
  });
});
