/**
 * The container image as the Dockerfile makes it, without Docker (this machine has none): its
 * /app laid out from the Dockerfile's own COPY lines, the runtime dependencies only (what
 * `npm ci --omit=dev` installs, hard-linked from this checkout's node_modules), NODE_ENV from its
 * ENV line, and the runner started with its ENTRYPOINT, outside the checkout so that nothing
 * resolves from it. A module the runner loads from a folder the image leaves out, or a package
 * it needs from the dev dependencies, fails here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toManifest, type ImageSet } from '../ahi-server/imageSet';
import type { LocalAhi } from '../ahi-server/index';
import { runnerConnection, startTestServer } from '../ahi-server/testing';

const CA = join(process.cwd(), '.cache/tls/cert.pem');

let local: LocalAhi;
let work: string;
let app: string;
let ct: ImageSet;
let manifest: string;
/** the image's ENTRYPOINT and its ENV */
let entrypoint: string[];
let env: Record<string, string>;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The Dockerfile's instructions, one per entry, continuation lines joined. */
function instructions(dockerfile: string): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** Lays the image's /app out in `root` as the Dockerfile says; returns its ENTRYPOINT and ENV. */
async function layOut(root: string) {
  const steps = instructions(await readFile('Dockerfile', 'utf8'));
  const image = { entrypoint: [] as string[], env: {} as Record<string, string>, installed: false };
  for (const { op, args } of steps) {
    if (op === 'COPY') {
      const parts = args.split(/\s+/);
      const dest = join(root, parts.pop()!);
      for (const src of parts) {
        const into = parts.length > 1 || dest.endsWith('/') ? join(dest, src) : dest;
        await mkdir(dirname(into), { recursive: true });
        await cp(src, into, { recursive: true });
      }
    } else if (op === 'ENV') {
      const [name, value] = args.split('=') as [string, string];
      image.env[name] = value;
    } else if (op === 'ENTRYPOINT') image.entrypoint = JSON.parse(args) as string[];
    else if (op === 'RUN' && /\bnpm ci\b/.test(args)) {
      // What `npm ci --omit=dev` installs: the packages `npm ls --omit=dev` lists.
      expect(args).toContain('--omit=dev');
      const listed = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
        encoding: 'utf8',
      });
      expect(listed.status, listed.stderr).toBe(0);
      const packages = listed.stdout
        .trim()
        .split('\n')
        .map((p) => relative(process.cwd(), p))
        .filter((p) => p.startsWith('node_modules'))
        .sort();
      for (const p of packages) {
        const to = join(root, p);
        if (await exists(to)) continue; // inside a package copied before
        await mkdir(dirname(to), { recursive: true });
        const linked = spawnSync('cp', ['-al', p, to]);
        expect(linked.status, String(linked.stderr)).toBe(0);
      }
      image.installed = true;
    }
  }
  expect(image.installed, 'the Dockerfile installs the dependencies with npm ci').toBe(true);
  expect(image.entrypoint[0]).toBe('node');
  return image;
}

function runImage(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [...entrypoint.slice(1), ...args], {
    cwd: app,
    env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: CA },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const connection = () => runnerConnection(local);

beforeAll(async () => {
  local = await startTestServer({}, 4);
  ct = local.imageSets.find((s) => s.name === 'synthetic-ct')!;
  work = await mkdtemp(join(tmpdir(), 'container-'));
  app = join(work, 'app');
  manifest = join(work, 'ct.json');
  await writeFile(manifest, JSON.stringify(toManifest(ct)));
  ({ entrypoint, env } = await layOut(app));
});

afterAll(async () => {
  await local?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the container image’s files', () => {
  it('hold no page, no tests and no dev dependency', async () => {
    for (const left of ['src/ui', 'src/app', 'ahi-server', 'e2e', 'node_modules/vitest'])
      expect(await exists(join(app, left)), left).toBe(false);
  });

  it('run the runner by the ENTRYPOINT alone: jph verified, DICOM assembled', async () => {
    const jph = await runImage([...connection(), '-i', manifest, '-f', 'jph', '--out', 'out-jph']);
    expect(jph.code, jph.stderr).toBe(0);
    for (const [id, frame] of ct.frames) {
      const bytes = await readFile(
        join(app, 'out-jph', ct.datastoreId, ct.imageSetId, `${id}.jph`),
      );
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(
        createHash('sha256').update(frame.bytes).digest('hex'),
      );
    }
    const dicom = await runImage([
      ...connection(),
      '-i',
      manifest,
      '-f',
      'dicom',
      '--out',
      'out-dicom',
      '--progress',
      'json',
    ]);
    expect(dicom.code, dicom.stderr).toBe(0);
    const summary = JSON.parse(dicom.stderr.trim().split('\n').at(-1)!) as { verified: number };
    expect(summary.verified).toBe(ct.frames.size);
  });
});
