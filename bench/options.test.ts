import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchOptions } from './options';

const run = promisify(execFile);

describe('bench options', () => {
  it('has the documented defaults', () => {
    expect(benchOptions([])).toMatchObject({
      runs: 3,
      frames: 2000,
      workers: 2,
      inflights: ['auto', '8', '20', '40'],
      scenarios: ['loopback', 'home', 'memory', 'codecs', 'cohort', 'folder', 'exports', 'runner'],
      formats: ['jph', 'raw', 'mem'],
      longFrames: 10_000,
      cohort: '500x400',
      warmups: 1,
      lines: { home: { bandwidthMbps: 500, latencyMs: 20, maxStreams: 20 } },
    });
  });

  it('takes every option', () => {
    const o = benchOptions(
      '--runs 1 --frames 300 --workers 1 --inflights auto,16 --scenarios loopback --formats raw --latency 5 --bandwidth 100 --long-frames 3000 --warmup 0 --cohort 20x30'.split(
        ' ',
      ),
    );
    expect(o).toMatchObject({
      runs: 1,
      frames: 300,
      workers: 1,
      inflights: ['auto', '16'],
      scenarios: ['loopback'],
      formats: ['raw'],
      longFrames: 3000,
      cohort: '20x30',
      warmups: 0,
      lines: { home: { bandwidthMbps: 100, latencyMs: 5 } },
    });
  });

  it('prints the options for --help and exits without running anything', async () => {
    const { stdout } = await run('npx', ['tsx', 'bench/run.ts', '--help'], { timeout: 30_000 });
    expect(stdout).toContain('--scenarios LIST');
    expect(stdout).toContain('--help');
  });

  it('refuses an unknown option or value, with the usage', async () => {
    for (const args of [
      ['--frame', '10'],
      ['--formats', 'tiff'],
      ['--runs'],
      ['--cohort', '500'],
    ]) {
      const failed = await run('npx', ['tsx', 'bench/run.ts', ...args], { timeout: 30_000 }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failed?.code).toBe(2);
      expect(failed?.stderr).toContain('bench: ');
      expect(failed?.stderr).toContain('--scenarios LIST');
    }
  });
});
