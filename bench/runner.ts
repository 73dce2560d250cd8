/**
 * The command-line runner measured beside the app: one run of `runner/cli.ts` into an empty
 * folder (its own JSON summary: frames/s from the first request to the last frame, CPU of its
 * process, where its threads' time went), and the bare node:http2 loop (bench/nodeLoop.ts) as its
 * ceiling. Both are processes of their own; the server's CPU is this process's (the bench hosts
 * the local server and is otherwise idle while they run).
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';

export interface RunnerRun {
  format: string;
  frames: number;
  framesPerSecond: number;
  mbPerSecond: number;
  /** from the process's start to its exit */
  wallSeconds: number;
  /**
   * CPU ms per frame: the runner's process (all threads, from the first request to the last
   * frame) and the local server (the whole command)
   */
  cpuMsPerFrame: { runner: number; server: number };
  stageMsPerFrame: Record<string, number>;
}

export interface NodeLoopRun {
  frames: number;
  framesPerSecond: number;
  mbPerSecond: number;
  cpuMsPerFrame: { loop: number; server: number };
}

const CA = join(process.cwd(), '.cache/tls/cert.pem');

function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: CA },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

const serverCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function runnerRun(
  endpoint: string,
  manifest: string,
  format: string,
  workers: number,
  out: string,
  /** more flags (--no-verify) */
  extra: string[] = [],
): Promise<RunnerRun> {
  await rm(out, { recursive: true, force: true });
  const cpu0 = serverCpuMs();
  const t0 = performance.now();
  const r = await run([
    '--import',
    'tsx',
    '--import',
    './runner/platform/register.mjs',
    'runner/cli.ts',
    ...['-i', manifest, '-f', format, '--out', out, '--workers', String(workers)],
    ...['-r', 'us-east-1', '-e', endpoint, '--progress', 'json', '-t', '60000'],
    ...['-a', EXAMPLE_CREDENTIALS.accessKeyId, '-s', EXAMPLE_CREDENTIALS.secretAccessKey],
    ...extra,
  ]);
  const wallSeconds = (performance.now() - t0) / 1000;
  const server = serverCpuMs() - cpu0;
  await rm(out, { recursive: true, force: true });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  if (r.code !== 0) throw new Error(`runner ${format} exited ${r.code}: ${r.stderr.slice(-500)}`);
  const s = JSON.parse(last) as {
    fetched: number;
    fetchSeconds: number;
    bytes: number;
    cpuMs: number;
    stageMsPerFrame: Record<string, number>;
  };
  return {
    format,
    frames: s.fetched,
    framesPerSecond: s.fetched / s.fetchSeconds,
    mbPerSecond: s.bytes / 1e6 / s.fetchSeconds,
    wallSeconds,
    cpuMsPerFrame: { runner: s.cpuMs / s.fetched, server: server / s.fetched },
    stageMsPerFrame: s.stageMsPerFrame,
  };
}

export async function nodeLoopRun(
  endpoint: string,
  manifest: string,
  inFlight: number,
): Promise<NodeLoopRun> {
  const cpu0 = serverCpuMs();
  const r = await run([
    '--import',
    'tsx',
    'bench/nodeLoop.ts',
    endpoint,
    manifest,
    String(inFlight),
  ]);
  const server = serverCpuMs() - cpu0;
  if (r.code !== 0) throw new Error(`node loop exited ${r.code}: ${r.stderr.slice(-500)}`);
  const s = JSON.parse(r.stdout.trim()) as {
    frames: number;
    bytes: number;
    ms: number;
    cpuMs: number;
  };
  return {
    frames: s.frames,
    framesPerSecond: s.frames / (s.ms / 1000),
    mbPerSecond: s.bytes / 1e6 / (s.ms / 1000),
    cpuMsPerFrame: { loop: s.cpuMs / s.frames, server: server / s.frames },
  };
}
