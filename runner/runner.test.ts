/**
 * The command-line runner as a user runs it: `node … runner/cli.ts` child processes against the
 * local AHI server over HTTP/2 and TLS (its certificate trusted through NODE_EXTRA_CA_CERTS only),
 * checked by what lands on disk and by the server's own counters.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COHORT_DATASTORE_ID, toManifest, type ImageSet } from '../ahi-server/imageSet';
import type { LocalAhi } from '../ahi-server/index';
import { h2request, runnerConnection, startTestServer } from '../ahi-server/testing';

const CA = join(process.cwd(), '.cache/tls/cert.pem');
const LONG = 2000;

let local: LocalAhi;
let work: string;
let ct: ImageSet;
let long: ImageSet;
let ctManifest: string;
let longManifest: string;
/** the research cohort's image sets: a datastore of many small ones */
let cohort: ImageSet[];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The runner with `args`; under `wrapper` (a command and its arguments) when given. */
function start(
  args: string[],
  env: Record<string, string> = {},
  wrapper: string[] = [],
): ChildProcess {
  const node = [
    '--import',
    'tsx',
    '--import',
    './runner/platform/register.mjs',
    'runner/cli.ts',
    ...args,
  ];
  const [command, ...before] = wrapper.length ? wrapper : [process.execPath];
  return spawn(command!, wrapper.length ? [...before, process.execPath, ...node] : node, {
    cwd: process.cwd(),
    env: { ...process.env, NODE_EXTRA_CA_CERTS: CA, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The runner with the local server's endpoint and keys, then `args`. */
const connection = () => runnerConnection(local);
const retrieve = (args: string[], env?: Record<string, string>) =>
  finished(start([...connection(), ...args], env));
/** The runner on the research cohort's datastore. */
const fromCohort = (args: string[]) => retrieve(['--datastore', COHORT_DATASTORE_ID, ...args]);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const frameGets = () => local.api.stats().byOperation['getImageFrame'] ?? 0;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

/** The rows of each shard's index file `<name>.shard-K-of-N.csv` in `out`, header first. */
async function shardRows(out: string, name: string, n: number): Promise<string[][][]> {
  const all: string[][][] = [];
  for (let k = 1; k <= n; k++)
    all.push(
      (await readFile(join(out, `${name}.shard-${k}-of-${n}.csv`), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(',')),
    );
  return all;
}

/** The system calls that change files, traced by strace in the runner and all its threads. */
const FILE_CALLS =
  'openat,open,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,ftruncate,fallocate,pwrite64,pwritev,pwritev2';
const straced = (log: string) => [
  'strace',
  '-f',
  '--seccomp-bpf',
  '-qq',
  '-y',
  '-e',
  `trace=${FILE_CALLS}`,
  '-o',
  log,
];

/**
 * What a trace shows done to the files under `dir` that Mountpoint for Amazon S3 refuses in a
 * general purpose bucket (awslabs/mountpoint-s3 doc/SEMANTICS.md): a rename or link, a truncate
 * or an allocation, a write at an offset, an open for writing without O_TRUNC (replacing a file
 * is allowed only so) or with O_APPEND. And the files opened for writing, how often each.
 */
function refusedByMountpoint(trace: string, dir: string) {
  const refused: string[] = [];
  const opened = new Map<string, number>();
  for (const line of trace.split('\n')) {
    if (!line.includes(dir)) continue;
    const call = /^\d+ +(\w+)\(/.exec(line)?.[1];
    if (!call) continue;
    if (call === 'openat' || call === 'open' || call === 'creat') {
      const flags = /"[^"]*", ([A-Z_|]+)/.exec(line)?.[1] ?? '';
      const path = /"([^"]*)"/.exec(line)?.[1] ?? '';
      const writes = call === 'creat' || /O_WRONLY|O_RDWR/.test(flags);
      if (!writes || / = -1 /.test(line)) continue;
      opened.set(path, (opened.get(path) ?? 0) + 1);
      if (!flags.includes('O_TRUNC') || flags.includes('O_APPEND')) refused.push(line);
    } else refused.push(line);
  }
  return { refused, opened };
}

beforeAll(async () => {
  local = await startTestServer({}, 6, LONG);
  work = await mkdtemp(join(tmpdir(), 'runner-'));
  ct = local.imageSets.find((s) => s.name === 'synthetic-ct')!;
  long = local.imageSets.find((s) => s.name === 'synthetic-long')!;
  cohort = local.imageSets.filter((s) => s.datastoreId === COHORT_DATASTORE_ID);
  ctManifest = join(work, 'ct.json');
  longManifest = join(work, 'long.json');
  await writeFile(ctManifest, JSON.stringify(toManifest(ct)));
  await writeFile(longManifest, JSON.stringify(toManifest(long)));
});

afterAll(async () => {
  await local?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the command-line runner', () => {
  it('names each mistake with exit code 2, before any frame is requested', async () => {
    local.api.resetStats();
    const bad = join(work, 'bad.json');
    await writeFile(bad, '{"DatastoreID": "x"}');
    const cases: [string[], RegExp][] = [
      [[], /at least one manifest with -i FILE/],
      [['-i', join(work, 'nothing.json')], /Cannot read the manifest .*nothing\.json: ENOENT/],
      [['-i', bad], /DatastoreID: expected 32 lowercase letters or digits/],
      [['-i', ctManifest, '-r', 'mars-1'], /"mars-1" is not an AWS region name/],
      [['-i', ctManifest, '-e', 'http://127.0.0.1:1'], /must use https/],
      [['-i', ctManifest, '--shard', '5/4'], /"5\/4" is not a shard/],
      [['-i', ctManifest, '-f', 'dicom', '--layout', '<Nope>/x.dcm'], /Nope/],
      [['-i', ctManifest, '-f', 'tiff'], /--format "tiff" is not one we write/],
      [['-i', ctManifest, '-s', 'WRONGSECRET'], /GetImageSetMetadata.*(Signature|denied)/i],
      [['--datastore', '0'.repeat(32)], /SearchImageSets: .*Datastore 0{32} not found/],
      [['--datastore', COHORT_DATASTORE_ID, '--image-set', '0'.repeat(32)], /0{32}/],
    ];
    for (const [args, message] of cases) {
      const ran = await retrieve([...args, '--out', join(work, 'bad-out')]);
      expect(ran.stderr, args.join(' ')).toMatch(message);
      expect(ran.code, args.join(' ')).toBe(2);
    }
    expect(frameGets()).toBe(0);
  });

  it('trusts the endpoint’s certificate only as NODE_EXTRA_CA_CERTS says', async () => {
    const ran = await retrieve(['-i', ctManifest, '--out', join(work, 'untrusted')], {
      NODE_EXTRA_CA_CERTS: '',
    });
    expect(ran.code).not.toBe(0);
    expect(ran.stderr).toMatch(/certificate.*NODE_EXTRA_CA_CERTS/i);
  });

  it('jph: the bytes the server sent, verified; a rerun fetches only what is missing or damaged', async () => {
    const out = join(work, 'jph');
    local.api.resetStats();
    const first = await retrieve(['-i', ctManifest, '-f', 'jph', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(frameGets()).toBe(ct.frames.size);
    for (const [id, frame] of ct.frames) {
      const path = join(out, ct.datastoreId, ct.imageSetId, `${id}.jph`);
      expect(sha(await readFile(path)), id).toBe(sha(frame.bytes));
    }
    const lines = (await readFile(join(out, 'checksums.csv'), 'utf8')).trim().split('\n');
    expect(lines.slice(1).map((l) => l.split(',').at(-1))).toEqual(
      Array(ct.frames.size).fill('yes'),
    );
    expect(await files(out)).toContain('metadata.csv');

    // Nothing missing: nothing fetched.
    local.api.resetStats();
    const again = await retrieve(['-i', ctManifest, '-f', 'jph', '--out', out]);
    expect(again.code).toBe(0);
    expect(frameGets()).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${ct.frames.size} already intact`));

    // One file damaged, one deleted: those two fetched again, and whole afterwards.
    const [a, b] = [...ct.frames.keys()] as [string, string];
    const damaged = join(out, ct.datastoreId, ct.imageSetId, `${a}.jph`);
    const bytes = await readFile(damaged);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(damaged, bytes);
    await rm(join(out, ct.datastoreId, ct.imageSetId, `${b}.jph`));
    local.api.resetStats();
    const repaired = await retrieve(['-i', ctManifest, '-f', 'jph', '--out', out]);
    expect(repaired.code).toBe(0);
    expect(frameGets()).toBe(2);
    expect(sha(await readFile(damaged))).toBe(sha(ct.frames.get(a)!.bytes));
  });

  it('a whole datastore: --datastore searches its image sets; --save-manifests writes them down once for -i', async () => {
    const ops = () => local.api.stats().byOperation;
    const framePaths = (sets: ImageSet[]) =>
      sets
        .flatMap((s) =>
          [...s.frames.keys()].map((id) => join(s.datastoreId, s.imageSetId, `${id}.jph`)),
        )
        .sort();
    const whole = join(work, 'datastore');
    local.api.resetStats();
    const ran = await fromCohort(['-f', 'jph', '--out', whole, '--progress', 'json']);
    expect(ran.code, ran.stderr).toBe(0);
    // Three pages of 50, one document per image set, one request per frame.
    expect(ops()).toMatchObject({
      searchImageSets: Math.ceil(cohort.length / 50),
      getImageSetMetadata: cohort.length,
      getImageFrame: framePaths(cohort).length,
    });
    const written = (await files(whole)).filter((f) => f.endsWith('.jph'));
    expect(written).toEqual(framePaths(cohort));
    for (const s of cohort)
      for (const [id, frame] of s.frames)
        expect(sha(await readFile(join(whole, s.datastoreId, s.imageSetId, `${id}.jph`))), id).toBe(
          sha(frame.bytes),
        );
    const lines = ran.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['type'] === 'preparing' && l['step'] === 'search')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', total: written.length, failed: 0 });

    // A filter: that patient's image sets only.
    const patient = (s: ImageSet) => s.metadata.Patient.DICOM['PatientID'];
    const one = join(work, 'datastore-patient');
    const filtered = await fromCohort([
      '--filter',
      'PatientId=COH-0001',
      '-f',
      'jph',
      '--out',
      one,
    ]);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect((await files(one)).filter((f) => f.endsWith('.jph'))).toEqual(
      framePaths(cohort.filter((s) => patient(s) === 'COH-0001')),
    );
    // As DICOM: each image set's document read once, as its manifest and for its attributes.
    local.api.resetStats();
    const dicom = await fromCohort([
      '--filter',
      'PatientId=COH-0001',
      '-f',
      'dicom',
      '--out',
      join(work, 'datastore-dicom'),
    ]);
    expect(dicom.code, dicom.stderr).toBe(0);
    expect(ops()['getImageSetMetadata']).toBe(
      cohort.filter((s) => patient(s) === 'COH-0001').length,
    );
    expect(
      (await files(join(work, 'datastore-dicom'))).filter((f) => f.endsWith('.dcm')).length,
    ).toBeGreaterThan(0);
    const none = await fromCohort(['--filter', 'PatientId=NOBODY', '--out', join(work, 'nobody')]);
    expect(none.stderr).toMatch(
      /No image set in datastore .* matches the filters: nothing to fetch/,
    );
    expect(none.code).toBe(2);

    // Written down once, fetched by -i: the same job, so nothing is left to fetch in that folder.
    const manifests = join(work, 'datastore-manifests');
    local.api.resetStats();
    const saved = await fromCohort(['--save-manifests', manifests]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toMatch(
      new RegExp(`${cohort.length} image sets \\(${framePaths(cohort).length} frames\\)`),
    );
    expect(ops()['getImageFrame'] ?? 0).toBe(0);
    expect((await readdir(manifests)).sort()).toEqual(
      cohort.map((s) => `${s.imageSetId}-metadata.json.gz`).sort(),
    );
    local.api.resetStats();
    const again = await retrieve(['-i', manifests, '-f', 'jph', '--out', whole]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${framePaths(cohort).length} already intact`));
    expect(ops()['getImageFrame'] ?? 0).toBe(0);
    expect(ops()['getImageSetMetadata'] ?? 0).toBe(0);
  });

  it('retries what the server fails, with the app’s policy, and counts the retries by cause', async () => {
    local.api.setKnobs({ errorRate: 0.4 });
    try {
      const args = ['-i', ctManifest, '-f', 'raw', '--out', join(work, 'flaky')];
      const ran = await retrieve([...args, '--progress', 'json']);
      expect(ran.code, ran.stderr).toBe(0);
      const summary = JSON.parse(ran.stderr.trim().split('\n').at(-1)!) as {
        verified: number;
        retries: Record<string, number>;
      };
      expect(summary.verified).toBe(ct.frames.size);
      expect(summary.retries['ServerError']).toBeGreaterThan(0);
    } finally {
      local.api.setKnobs({ errorRate: 0 });
    }
  });

  it('runs as npx ahi-web-retrieve from a checkout', async () => {
    const ran = await finished(
      spawn(process.execPath, ['runner/bin.mjs', '--version'], {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^ahi-web-retrieve \d+\.\d+\.\d+ \(Node/);
  });

  it('lists the frames that failed as manifests a later run takes with -i, and exits 1', async () => {
    const out = join(work, 'failing');
    const manifest = toManifest(ct) as {
      Study: { Series: Record<string, { Instances: Record<string, { ImageFrames: unknown[] }> }> };
    };
    const instance = Object.values(Object.values(manifest.Study.Series)[0]!.Instances)[0]!;
    instance.ImageFrames.push({ ID: 'f'.repeat(32) });
    const path = join(work, 'with-missing-frame.json');
    await writeFile(path, JSON.stringify(manifest));
    const ran = await retrieve(['-i', path, '-f', 'jph', '--out', out, '--no-verify']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/1 FAILED/);
    const failed = join(out, 'failed-frames');
    const listed = JSON.parse(await readFile(join(failed, `${ct.imageSetId}.json`), 'utf8')) as {
      Study: {
        Series: Record<string, { Instances: Record<string, { ImageFrames: { ID: string }[] }> }>;
      };
    };
    const ids = Object.values(listed.Study.Series).flatMap((s) =>
      Object.values(s.Instances).flatMap((i) => i.ImageFrames.map((f) => f.ID)),
    );
    expect(ids).toEqual(['f'.repeat(32)]);
    local.api.resetStats();
    const retry = await retrieve(['-i', failed, '-f', 'jph', '--out', out, '--no-verify']);
    expect(retry.code).toBe(1);
    expect(frameGets()).toBe(1);
  });

  it('without keys, takes the AWS credential chain’s, and fetches new ones before they expire', async () => {
    // A container credentials endpoint (as ECS and EKS give one), handing out the local server's
    // temporary credentials, valid 3 s each; the run is slowed to outlast several of them.
    const ca = await readFile(CA);
    let issued = 0;
    const endpoint = createServer((_req, res) => {
      void h2request(`${local.api.url}/demo/credentials?ttlSeconds=3`, { method: 'POST', ca }).then(
        (r) => {
          issued++;
          const c = JSON.parse(r.body.toString()) as Record<string, string>;
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              AccessKeyId: c['accessKeyId'],
              SecretAccessKey: c['secretAccessKey'],
              Token: c['sessionToken'],
              Expiration: c['expiration'],
            }),
          );
        },
      );
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const manifest = toManifest(long) as {
      Study: { Series: Record<string, { Instances: Record<string, unknown> }> };
    };
    const series = Object.values(manifest.Study.Series)[0]!;
    series.Instances = Object.fromEntries(Object.entries(series.Instances).slice(0, 500));
    const path = join(work, 'long-500.json');
    await writeFile(path, JSON.stringify(manifest));
    local.api.setKnobs({ bandwidthMbps: 60 });
    try {
      const env: Record<string, string> = {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/creds`,
        AWS_CONFIG_FILE: join(work, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
      };
      // One connection (the line's cap is per connection): 10 in flight, not tuned.
      const args = [
        ...['-i', path, '-f', 'jph', '--out', join(work, 'chain'), '--progress', 'json'],
        ...['--in-flight', '10', '--no-auto-tune'],
      ];
      local.api.resetStats();
      const ran = await finished(start(['-r', 'us-east-1', '-e', local.api.url, ...args], env));
      expect(ran.code, ran.stderr).toBe(0);
      const summary = JSON.parse(ran.stderr.trim().split('\n').at(-1)!) as {
        verified: number;
        fetchSeconds: number;
      };
      expect(summary.verified).toBe(500);
      // Longer than one set of credentials lives.
      expect(summary.fetchSeconds).toBeGreaterThan(4);
      // The first set, and at least one more for every 3 s of the run.
      expect(issued).toBeGreaterThanOrEqual(1 + Math.floor(summary.fetchSeconds / 3));
      // Before they expire: no request went out with expired credentials.
      expect(local.api.stats().errorsByType['ExpiredTokenException'] ?? 0).toBe(0);
    } finally {
      local.api.setKnobs({ bandwidthMbps: 0 });
      endpoint.close();
    }
  });

  it('shards of many image sets each read and plan only their own part: metadata once per image set in all', async () => {
    const manifests = join(work, 'cohort-manifests');
    await mkdir(manifests, { recursive: true });
    // ahi-retrieve manifests: no checksums, so each image set's metadata is fetched to verify.
    for (const s of cohort)
      await writeFile(join(manifests, `${s.imageSetId}.json`), JSON.stringify(toManifest(s)));
    const out = join(work, 'cohort-shards');
    local.api.resetStats();
    const ran = await Promise.all(
      [1, 2, 3, 4].map((k) =>
        retrieve([
          '-i',
          manifests,
          '-f',
          'jph',
          '--out',
          out,
          '--workers',
          '1',
          '--shard',
          `${k}/4`,
        ]),
      ),
    );
    for (const r of ran) expect(r.code, r.stderr).toBe(0);
    // 126 image sets, read by 4 shards: each read once, and at most 3 shared where a cut falls
    // inside one (not 4 × 126).
    const metadata = local.api.stats().byOperation['getImageSetMetadata'] ?? 0;
    expect(metadata).toBeGreaterThanOrEqual(cohort.length);
    expect(metadata).toBeLessThanOrEqual(cohort.length + 3);
    const listed = (await shardRows(out, 'checksums', 4)).flatMap((rows) =>
      rows.slice(1).map((cells) => cells[0]!),
    );
    const all = cohort.flatMap((s) => [...s.frames.keys()]);
    expect(listed.sort()).toEqual(all.sort());
    expect(local.api.stats().distinctFramesServed).toBe(all.length);
    expect(local.api.stats().framesServed).toBe(all.length);
    // Each shard's metadata.csv lists the series it holds frames of, none it does not: the rows
    // of the four add up to the job (a series cut between two shards is in both, with its parts).
    const rows = (await shardRows(out, 'metadata', 4)).flatMap(([header, ...lines]) => {
      const at = header!.indexOf('Frames');
      return lines.map((cells) => ({ series: cells[2]!, frames: Number(cells[at]) }));
    });
    expect(rows.filter((r) => r.frames === 0)).toEqual([]);
    expect(rows.reduce((n, r) => n + r.frames, 0)).toBe(all.length);
  });

  it('4 shards at once make exactly the job; one killed mid-run and started again fetches only what it lacked', async () => {
    const out = join(work, 'shards');
    local.api.resetStats();
    const shard = (k: number) =>
      start(
        [
          ...connection(),
          '-i',
          longManifest,
          '-f',
          'jph',
          '--out',
          out,
          '--workers',
          '1',
          '--progress',
          'json',
          '-t',
          '100',
          // The second shard by the batch engine's index (0-based) instead of --shard.
          ...(k === 2 ? ['--shards', '4'] : ['--shard', `${k}/4`]),
        ],
        k === 2 ? { AWS_BATCH_JOB_ARRAY_INDEX: '1' } : {},
      );
    const children = [1, 2, 3, 4].map(shard);
    const done = children.map(finished);
    // Shard 2 is killed once it has stored 100 frames.
    await new Promise<void>((resolve) => {
      let text = '';
      children[1]!.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        const frames = text
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => (JSON.parse(l) as { frames?: number }).frames ?? 0);
        if (Math.max(0, ...frames) >= 100) {
          children[1]!.kill('SIGKILL');
          resolve();
        }
      });
    });
    const ran = await Promise.all(done);
    expect(ran[1]!.code).toBeNull();
    for (const k of [0, 2, 3]) expect(ran[k]!.code, ran[k]!.stderr).toBe(0);
    // Nothing served twice so far: the shards split the job.
    const before = local.api.stats();
    expect(before.distinctFramesServed).toBe(before.framesServed);

    local.api.resetStats();
    const restarted = await finished(shard(2));
    expect(restarted.code, restarted.stderr).toBe(0);
    const summary = JSON.parse(restarted.stderr.trim().split('\n').at(-1)!) as {
      skipped: number;
      total: number;
    };
    expect(summary.skipped).toBeGreaterThanOrEqual(100);
    const after = local.api.stats();
    expect(after.framesServed).toBe(summary.total - summary.skipped);
    expect(after.distinctFramesServed).toBe(after.framesServed);

    // The union of the shards' indexes is the job, each frame once, each file what was sent.
    const listed = (await shardRows(out, 'checksums', 4)).flatMap((rows) =>
      rows.slice(1).map((cells) => cells[0]!),
    );
    expect(listed.length).toBe(LONG);
    expect(new Set(listed).size).toBe(LONG);
    const onDisk = (await files(join(out, long.datastoreId, long.imageSetId))).filter((f) =>
      f.endsWith('.jph'),
    );
    expect(onDisk.length).toBe(LONG);
    for (const [id, frame] of long.frames) {
      const bytes = await readFile(join(out, long.datastoreId, long.imageSetId, `${id}.jph`));
      if (sha(bytes) !== sha(frame.bytes)) throw new Error(`frame ${id} differs from the server's`);
    }
  });
  it('on Mountpoint for Amazon S3 (--mountpoint): files written once in place, no rename, no append; killed and run again, it fetches only what its journal lacked', async () => {
    const out = join(work, 'mountpoint');
    const journal = join(out, '.ahi-web-retrieve', 'journal');
    const job = ['-i', longManifest, '-f', 'jph', '--out', out, '--mountpoint', '--workers', '1'];
    local.api.resetStats();
    const killedTrace = join(work, 'killed.strace');
    const first = start([...connection(), ...job], {}, straced(killedTrace));
    const firstDone = finished(first);
    // Killed once a thread's first journal segment is on disk (the traced runner's own pid is
    // the first the trace names: killing strace would leave it running untraced).
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const names = await readdir(journal).catch(() => [] as string[]);
      if (names.some((n) => /-t\d+-\d{6}\.jsonl$/.test(n))) break;
    }
    const pid = Number(/^(\d+) /.exec(await readFile(killedTrace, 'utf8'))?.[1]);
    process.kill(pid, 'SIGKILL');
    await firstDone;
    const journaled = (
      await Promise.all(
        (await readdir(journal))
          .filter((n) => n.endsWith('.jsonl'))
          .map((n) => readFile(join(journal, n), 'utf8')),
      )
    )
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{')).length;
    const fetchedBefore = local.api.stats().framesServed;
    expect(journaled).toBeGreaterThan(0);
    expect(journaled).toBeLessThan(LONG);

    local.api.resetStats();
    const againTrace = join(work, 'again.strace');
    const again = await finished(
      start([...connection(), ...job, '--progress', 'json'], {}, straced(againTrace)),
    );
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stderr.trim().split('\n').at(-1)!) as { skipped: number };
    // What the journal vouched for is kept; the rest (frames written in the last seconds before
    // the kill, whose lines were not on disk yet, among them) is fetched and written again.
    expect(summary.skipped).toBe(journaled);
    expect(local.api.stats().framesServed).toBe(LONG - journaled);
    expect(fetchedBefore).toBeGreaterThanOrEqual(journaled);
    for (const [id, frame] of long.frames) {
      const bytes = await readFile(join(out, long.datastoreId, long.imageSetId, `${id}.jph`));
      if (sha(bytes) !== sha(frame.bytes)) throw new Error(`frame ${id} differs from the server's`);
    }
    // The run that ended wrote its last segment too: a third run has nothing to fetch.
    local.api.resetStats();
    const third = await retrieve([...job, '--progress', 'json']);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stderr.trim().split('\n').at(-1)!)).toMatchObject({ skipped: LONG });
    expect(local.api.stats().framesServed).toBe(0);

    const killed = refusedByMountpoint(await readFile(killedTrace, 'utf8'), out);
    const rerun = refusedByMountpoint(await readFile(againTrace, 'utf8'), out);
    expect(killed.refused.length, killed.refused.slice(0, 3).join('\n')).toBe(0);
    expect(rerun.refused.length, rerun.refused.slice(0, 3).join('\n')).toBe(0);
    // Every frame's file was opened for writing; each journal segment once, in one run only.
    const written = [...killed.opened.keys(), ...rerun.opened.keys()];
    expect(written.filter((p) => p.endsWith('.jph')).length).toBeGreaterThanOrEqual(LONG);
    const segments = written.filter((p) => p.endsWith('.jsonl'));
    expect(segments.length).toBeGreaterThan(1);
    expect(new Set(segments).size).toBe(segments.length);
    for (const p of segments) expect(killed.opened.get(p) ?? rerun.opened.get(p)).toBe(1);
    // The rerun replaced the frame files the killed run wrote without a journal line, no other.
    const killedFrames = [...killed.opened.keys()].filter((p) => p.endsWith('.jph'));
    const replaced = killedFrames.filter((p) => rerun.opened.has(p));
    expect(replaced.length).toBe(killedFrames.length - journaled);
  });

  it('a Mountpoint folder that refuses to delete is said before any frame is fetched, with the mount option that allows it', async (ctx) => {
    const out = join(work, 'no-delete');
    const journal = join(out, '.ahi-web-retrieve', 'journal');
    await mkdir(journal, { recursive: true });
    // An append-only folder (chattr +a, root on ext4) creates and replaces files but deletes none,
    // as a bucket mounted without --allow-delete.
    const chattr = (flag: string) => spawnSync('chattr', [flag, journal]).status === 0;
    if (!chattr('+a')) return ctx.skip('chattr +a needs root on a file system that has it');
    try {
      local.api.resetStats();
      const ran = await retrieve(['-i', ctManifest, '-f', 'jph', '--out', out, '--mountpoint']);
      expect(ran.stderr).toContain(
        `${out} refuses to delete a file (EPERM): mount the bucket with --allow-delete. Nothing was fetched.`,
      );
      expect(ran.code).toBe(2);
      expect(frameGets()).toBe(0);
    } finally {
      chattr('-a');
    }
  });

  it('DICOM and NIfTI on Mountpoint for Amazon S3: their parts assembled and deleted without a rename; the same files as on a disk', async () => {
    for (const [format, made] of [
      ['dicom', /\.dcm$/],
      ['nifti', /\.(nii\.gz|json)$/],
    ] as const) {
      const onDisk = join(work, `${format}-disk`);
      const onMount = join(work, `${format}-mountpoint`);
      const trace = join(work, `${format}.strace`);
      const disk = await retrieve(['-i', ctManifest, '-f', format, '--out', onDisk]);
      expect(disk.code, disk.stderr).toBe(0);
      const mounted = await finished(
        start(
          [...connection(), '-i', ctManifest, '-f', format, '--out', onMount, '--mountpoint'],
          {},
          straced(trace),
        ),
      );
      expect(mounted.code, mounted.stderr).toBe(0);
      const { refused, opened } = refusedByMountpoint(await readFile(trace, 'utf8'), onMount);
      expect(refused.length, refused.slice(0, 3).join('\n')).toBe(0);
      expect([...opened.keys()].some((p) => p.includes('/parts/'))).toBe(true);
      const listing = async (dir: string) =>
        (await files(dir)).filter((f) => !f.startsWith('.ahi-web-retrieve/'));
      const names = await listing(onMount);
      expect(names).toEqual(await listing(onDisk));
      const outputs = names.filter((n) => made.test(n));
      // One DICOM file per frame of the CT's single-frame instances; one volume and its sidecar.
      expect(outputs.length, format).toBe(format === 'dicom' ? ct.frames.size : 2);
      for (const n of outputs)
        expect(sha(await readFile(join(onMount, n))), n).toBe(sha(await readFile(join(onDisk, n))));
      // The parts went once assembled.
      expect((await files(onMount)).filter((f) => f.includes('/parts/'))).toEqual([]);
    }
  });
});
