/**
 * The local AHI server against independent clients: aws4fetch (the app's signer), Node's HTTP/2
 * client, and curl's own SigV4 implementation. Every accept and reject case of SigV4, AWS's error
 * shapes, ALPN h2, CORS preflights, and metadata checksums recomputed from decoded pixels.
 *
 * Longer than 400 lines for a reason: every group talks to one server started once (its start
 * decodes every NEMA frame to compute checksums), so they share this file's setup.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, gunzipSync } from 'node:zlib';
import createOpenJph from '@cornerstonejs/codec-openjph';
import { AwsClient } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AhiMetadata } from './imageSet';
import { EXAMPLE_CREDENTIALS } from './knobs';
import { startTestServer, h2request, sendSigned } from './testing';
import type { LocalAhi } from './index';

const run = promisify(execFile);

let local: LocalAhi;
let ca: Buffer;
let base: string;
let nema: {
  datastoreId: string;
  imageSetId: string;
  frames: Map<string, { bytes: Uint8Array; contentType: string }>;
};
let ct1Id: string;

function client(overrides: Partial<ConstructorParameters<typeof AwsClient>[0]> = {}) {
  return new AwsClient({
    ...EXAMPLE_CREDENTIALS,
    service: 'medical-imaging',
    region: 'us-east-1',
    retries: 0,
    ...overrides,
  });
}

function frameUrl(imageSetId = nema.imageSetId) {
  return `${base}/datastore/${nema.datastoreId}/imageSet/${imageSetId}/getImageFrame`;
}

async function getFrame(
  aws: AwsClient,
  frameId: string,
  extra: Parameters<AwsClient['sign']>[1] = {},
) {
  const request = await aws.sign(frameUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ imageFrameId: frameId }),
    ...extra,
  });
  return sendSigned(request, ca);
}

const errorOf = (r: { headers: Record<string, unknown>; body: Buffer }) => ({
  type: r.headers['x-amzn-errortype'],
  message: (JSON.parse(r.body.toString()) as { message: string }).message,
});

beforeAll(async () => {
  local = await startTestServer();
  ca = await readFile('.cache/tls/cert.pem');
  base = local.api.url;
  const set = local.imageSets.find((s) => s.name === 'nema')!;
  nema = set;
  ct1Id = [...set.frames.values()].find((f) => f.bytes.length === 185_182)!.id;
});
afterAll(() => local.close());

describe('SigV4', () => {
  it('accepts a request signed by aws4fetch and returns the stored codestream over HTTP/2', async () => {
    const r = await getFrame(client(), ct1Id);
    expect(r.alpn).toBe('h2');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/jph');
    expect(r.headers['content-length']).toBe('185182');
    const fixture = await readFile('ahi-server/fixtures/htj2k/CT1.j2c');
    expect(Buffer.compare(r.body, fixture)).toBe(0);
  });

  it('rejects an unknown access key', async () => {
    const r = await getFrame(client({ accessKeyId: 'AKIDNOTKNOWN' }), ct1Id);
    expect(r.status).toBe(403);
    expect(errorOf(r)).toEqual({
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('rejects a wrong secret', async () => {
    const r = await getFrame(client({ secretAccessKey: 'not-the-secret' }), ct1Id);
    expect(r.status).toBe(403);
    expect(errorOf(r).type).toBe('InvalidSignatureException');
    expect(errorOf(r).message).toMatch(/^The request signature we calculated does not match/);
  });

  it('rejects a signature scoped to another region', async () => {
    const r = await getFrame(client({ region: 'eu-west-1' }), ct1Id);
    expect(r.status).toBe(403);
    expect(errorOf(r)).toEqual({
      type: 'InvalidSignatureException',
      message: 'Credential should be scoped to a valid region. ',
    });
  });

  it('rejects a signature for another service (what aws4fetch would guess from the host)', async () => {
    const r = await getFrame(client({ service: 'runtime-medical-imaging' }), ct1Id);
    expect(r.status).toBe(403);
    expect(errorOf(r).message).toBe(
      "Credential should be scoped to correct service: 'medical-imaging'. ",
    );
  });

  it('rejects a body changed after signing', async () => {
    const request = await client().sign(frameUrl(), {
      method: 'POST',
      body: JSON.stringify({ imageFrameId: ct1Id }),
    });
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => k !== 'host' && (headers[k] = v));
    const other = [...nema.frames.keys()].find((k) => k !== ct1Id)!;
    const r = await h2request(frameUrl(), {
      method: 'POST',
      headers,
      body: JSON.stringify({ imageFrameId: other }),
      ca,
    });
    expect(r.status).toBe(403);
    expect(errorOf(r).type).toBe('InvalidSignatureException');
  });

  it('rejects a signature older than five minutes, and one from the future', async () => {
    const stamp = (t: number) =>
      new Date(t)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
    const old = await getFrame(client(), ct1Id, {
      aws: { datetime: stamp(Date.now() - 6 * 60_000) },
    });
    expect(old.status).toBe(403);
    expect(errorOf(old).message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const future = await getFrame(client(), ct1Id, {
      aws: { datetime: stamp(Date.now() + 6 * 60_000) },
    });
    expect(errorOf(future).message).toMatch(/^Signature not yet current/);
    const skewed = await getFrame(client(), ct1Id, {
      aws: { datetime: stamp(Date.now() - 4 * 60_000) },
    });
    expect(skewed.status).toBe(200);
  });

  it('rejects an unsigned request', async () => {
    const r = await h2request(frameUrl(), {
      method: 'POST',
      body: JSON.stringify({ imageFrameId: ct1Id }),
      ca,
    });
    expect(r.status).toBe(403);
    expect(errorOf(r)).toEqual({
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('accepts temporary credentials with their session token, refuses them without it or once expired', async () => {
    // A long-lived pair for the accept and refuse checks, a 1 s one for expiry: with one 1 s pair,
    // a loaded machine sometimes took longer than that to the first request (403, not 200).
    const mint = async (ttlSeconds: number) =>
      JSON.parse(
        (
          await h2request(`${base}/demo/credentials?ttlSeconds=${ttlSeconds}`, {
            method: 'POST',
            ca,
          })
        ).body.toString(),
      ) as { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    const c = await mint(600);
    expect(c.accessKeyId).toMatch(/^ASIA/);
    const ok = await getFrame(client(c), ct1Id);
    expect(ok.status).toBe(200);
    const noToken = await getFrame(
      client({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }),
      ct1Id,
    );
    expect(errorOf(noToken).type).toBe('UnrecognizedClientException');
    const forged = await getFrame(
      client({ ...c, sessionToken: `${c.sessionToken.split('.')[0]}.forged` }),
      ct1Id,
    );
    expect(errorOf(forged).type).toBe('UnrecognizedClientException');
    const short = await mint(1);
    expect(short.accessKeyId).toMatch(/^ASIA/);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await getFrame(client(short), ct1Id);
    expect(expired.status).toBe(403);
    expect(errorOf(expired)).toEqual({
      type: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
  });

  it('expires the static pair too when the credentials TTL knob is set', async () => {
    local.api.setKnobs({ credentialsTtlSeconds: 0.001 });
    try {
      await new Promise((r) => setTimeout(r, 5));
      const r = await getFrame(client(), ct1Id);
      expect(errorOf(r).type).toBe('ExpiredTokenException');
    } finally {
      local.api.setKnobs({ credentialsTtlSeconds: 0 });
    }
  });
});

describe('AHI errors and operations', () => {
  it('answers an unknown frame with 404 ResourceNotFoundException', async () => {
    const r = await getFrame(client(), 'f'.repeat(32));
    expect(r.status).toBe(404);
    expect(errorOf(r).type).toBe('ResourceNotFoundException');
  });

  it('answers malformed IDs and bodies with 400 ValidationException', async () => {
    const badId = await getFrame(client(), 'ABC');
    expect(badId.status).toBe(400);
    expect(errorOf(badId)).toMatchObject({ type: 'ValidationException' });
    expect(errorOf(badId).message).toContain('imageFrameId');
    const request = await client().sign(frameUrl(), { method: 'POST', body: 'not json' });
    const notJson = await sendSigned(request, ca);
    expect(notJson.status).toBe(400);
    expect(errorOf(notJson).message).toMatch(/not valid JSON/);
  });

  it('answers an unknown image set with 404', async () => {
    const request = await client().sign(frameUrl('0'.repeat(32)), {
      method: 'POST',
      body: JSON.stringify({ imageFrameId: ct1Id }),
    });
    const r = await sendSigned(request, ca);
    expect(r.status).toBe(404);
    expect(errorOf(r).message).toMatch(/ImageSet 0{32} not found/);
  });

  it('serves each frame with the Content-Type of its stored syntax', async () => {
    const types = new Set<string>();
    for (const [id, frame] of nema.frames) {
      const r = await getFrame(client(), id);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(frame.contentType);
      expect(r.body.length).toBe(frame.bytes.length);
      types.add(frame.contentType);
    }
    expect([...types].sort()).toEqual(['application/octet-stream', 'image/j2c', 'image/jph']);
  });

  it('serves gzip metadata whose checksums are the CRC-32 of the decoded pixels', async () => {
    const request = await client().sign(
      `${base}/datastore/${nema.datastoreId}/imageSet/${nema.imageSetId}/getImageSetMetadata`,
      { method: 'POST' },
    );
    const r = await sendSigned(request, ca);
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    const doc = JSON.parse(gunzipSync(r.body).toString()) as AhiMetadata;
    expect(doc.SchemaVersion).toBe('1.1');
    const codec = await createOpenJph();
    const decoder = new codec.HTJ2KDecoder();
    let checked = 0;
    for (const series of Object.values(doc.Study.Series)) {
      for (const instance of Object.values(series.Instances)) {
        for (const f of instance.ImageFrames) {
          const stored = nema.frames.get(f.ID)!;
          const full = f.PixelDataChecksumFromBaseToFullResolution!.at(-1)!;
          expect(full.Width).toBe(instance.DICOM['Columns']);
          if (stored.contentType === 'image/jph') {
            decoder.getEncodedBuffer(stored.bytes.length).set(stored.bytes);
            decoder.decode();
            expect(decoder.getLastErrorMessage()).toBe('');
            expect(crc32(decoder.getDecodedBuffer()) >>> 0).toBe(full.Checksum);
            checked++;
          } else if (stored.contentType === 'application/octet-stream') {
            expect(crc32(stored.bytes) >>> 0).toBe(full.Checksum);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(15);
    // The published CT1 checksum is AWS's own fixture value.
    const ct1 = Object.values(doc.Study.Series)
      .flatMap((s) => Object.values(s.Instances))
      .flatMap((i) => i.ImageFrames)
      .find((f) => f.ID === ct1Id)!;
    expect(ct1.PixelDataChecksumFromBaseToFullResolution!.at(-1)!.Checksum).toBe(1052635650);
  });

  it('answers 409 ConflictException while the metadata conflict knob lasts', async () => {
    local.api.setKnobs({ metadataConflicts: 1 });
    const url = `${base}/datastore/${nema.datastoreId}/imageSet/${nema.imageSetId}/getImageSetMetadata`;
    const first = await sendSigned(await client().sign(url, { method: 'POST' }), ca);
    const second = await sendSigned(await client().sign(url, { method: 'POST' }), ca);
    expect(first.status).toBe(409);
    expect(errorOf(first).type).toBe('ConflictException');
    expect(second.status).toBe(200);
  });

  it('lists image sets (SearchImageSets) and describes one (GetImageSet)', async () => {
    const search = await sendSigned(
      await client().sign(`${base}/datastore/${nema.datastoreId}/searchImageSets`, {
        method: 'POST',
        body: '{}',
      }),
      ca,
    );
    const list = JSON.parse(search.body.toString()) as {
      imageSetsMetadataSummaries: { imageSetId: string }[];
    };
    // Each datastore lists its own image sets (the JPEG 2000 lossless one has its own).
    // (Ordered newest update first: search.test.ts checks the orders and filters.)
    expect(list.imageSetsMetadataSummaries.map((s) => s.imageSetId).sort()).toEqual(
      local.imageSets
        .filter((s) => s.datastoreId === nema.datastoreId)
        .map((s) => s.imageSetId)
        .sort(),
    );
    const j2k = local.imageSets.find((s) => s.name === 'synthetic-ct-j2k')!;
    expect(j2k.datastoreId).not.toBe(nema.datastoreId);
    const other = await sendSigned(
      await client().sign(`${base}/datastore/${j2k.datastoreId}/searchImageSets`, {
        method: 'POST',
        body: '{}',
      }),
      ca,
    );
    expect(
      (
        JSON.parse(other.body.toString()) as {
          imageSetsMetadataSummaries: { imageSetId: string }[];
        }
      ).imageSetsMetadataSummaries.map((s) => s.imageSetId),
    ).toEqual([j2k.imageSetId]);
    // An image set is found only in its own datastore.
    const wrong = await sendSigned(
      await client().sign(
        `${base}/datastore/${nema.datastoreId}/imageSet/${j2k.imageSetId}/getImageSet`,
        { method: 'POST' },
      ),
      ca,
    );
    expect(wrong.status).toBe(404);
    const get = await sendSigned(
      await client().sign(
        `${base}/datastore/${nema.datastoreId}/imageSet/${nema.imageSetId}/getImageSet`,
        { method: 'POST' },
      ),
      ca,
    );
    expect(JSON.parse(get.body.toString())).toMatchObject({
      imageSetId: nema.imageSetId,
      imageSetState: 'ACTIVE',
      versionId: '1',
    });
  });
});

describe('CORS', () => {
  it('answers a browser preflight with the methods, headers and max-age it needs', async () => {
    const r = await h2request(frameUrl(), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://localhost:8444',
        'access-control-request-method': 'POST',
        'access-control-request-headers':
          'authorization,content-type,x-amz-date,x-amz-security-token,x-amz-content-sha256,x-amz-user-agent',
      },
      ca,
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('https://localhost:8444');
    expect(String(r.headers['access-control-allow-methods'])).toContain('POST');
    const allowed = String(r.headers['access-control-allow-headers']).split(/,\s*/);
    for (const h of [
      'authorization',
      'content-type',
      'x-amz-date',
      'x-amz-security-token',
      'x-amz-content-sha256',
      'x-amz-user-agent',
    ]) {
      expect(allowed).toContain(h);
    }
    expect(Number(r.headers['access-control-max-age'])).toBeGreaterThanOrEqual(600);
  });

  it('marks real responses for the calling origin and exposes AWS headers', async () => {
    const request = await client().sign(frameUrl(), {
      method: 'POST',
      headers: { origin: 'https://app.example' },
      body: JSON.stringify({ imageFrameId: ct1Id }),
    });
    const r = await sendSigned(request, ca);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(r.headers['access-control-expose-headers'])).toContain('x-amzn-errortype');
  });
});

describe('fault knobs and counters', () => {
  it('throttles past the configured rate with 429 ThrottlingException', async () => {
    local.api.setKnobs({ throttleRps: 1, throttleBurst: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await getFrame(client(), ct1Id)).status);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses.slice(2)).toContain(429);
    } finally {
      local.api.setKnobs({ throttleRps: 0, throttleBurst: 0 });
    }
  });

  it('answers 503 at the error rate and resets streams mid-body at the reset rate', async () => {
    local.api.setKnobs({ errorRate: 1 });
    const r = await getFrame(client(), ct1Id);
    expect(r.status).toBe(503);
    expect(errorOf(r).type).toBe('ServiceUnavailableException');
    local.api.setKnobs({ errorRate: 0, resetRate: 1 });
    await expect(getFrame(client(), ct1Id)).rejects.toThrow(/NGHTTP2_INTERNAL_ERROR|stream/i);
    local.api.setKnobs({ resetRate: 0 });
  });

  it('corrupts bodies at the corrupt rate (same length, different bytes)', async () => {
    local.api.setKnobs({ corruptRate: 1 });
    const r = await getFrame(client(), ct1Id);
    local.api.setKnobs({ corruptRate: 0 });
    const fixture = await readFile('ahi-server/fixtures/htj2k/CT1.j2c');
    expect(r.body.length).toBe(fixture.length);
    expect(Buffer.compare(r.body, fixture)).not.toBe(0);
  });

  it('delivers whole bodies through the bandwidth cap and the latency knob', async () => {
    local.api.setKnobs({ bandwidthMbps: 200, latencyMs: 5, jitterMs: 5 });
    const r = await getFrame(client(), ct1Id);
    local.api.setKnobs({ bandwidthMbps: 0, latencyMs: 0, jitterMs: 0 });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(185_182);
  });

  it('validates knob updates with a message naming the knob', () => {
    expect(() => local.api.setKnobs({ errorRate: 2 })).toThrow(
      "knob 'errorRate' must be a number from 0 to 1, got 2",
    );
    expect(() => local.api.setKnobs({ nonsense: 1 })).toThrow(/unknown knob 'nonsense'/);
  });

  it('counts requests, sessions and streams', async () => {
    local.api.resetStats();
    await getFrame(client(), ct1Id);
    const s = local.api.stats();
    expect(s.requests).toBe(1);
    expect(s.byOperation).toEqual({ getImageFrame: 1 });
    expect(s.http2Sessions).toBe(1);
    expect(s.framesServed).toBe(1);
    expect(s.frameBytes).toBe(185_182);
    expect(local.api.summary()).toMatch(/^ahi-server: 1 requests \(getImageFrame 1\)/);
  });

  it('says clearly when its port is taken', async () => {
    const { startAhiServer } = await import('./server');
    const tls = { key: await readFile('.cache/tls/key.pem'), cert: ca };
    await expect(
      startAhiServer({
        host: '127.0.0.1',
        port: local.api.port,
        region: 'us-east-1',
        ...EXAMPLE_CREDENTIALS,
        imageSets: [],
        tls,
      }),
    ).rejects.toThrow(
      `port ${local.api.port} on 127.0.0.1 is already in use (another ahi server?). Set AHI_PORT to a free port.`,
    );
  });
});

describe('curl, an independent SigV4 client', () => {
  it('fetches a frame with curl --aws-sigv4 over HTTP/2, and gets 403 with a wrong secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ahi-curl-'));
    const out = join(dir, 'frame.jph');
    await writeFile(join(dir, 'body.json'), JSON.stringify({ imageFrameId: ct1Id }));
    const args = (secret: string, file: string) => [
      '--silent',
      '--http2',
      '--cacert',
      '.cache/tls/cert.pem',
      '--aws-sigv4',
      'aws:amz:us-east-1:medical-imaging',
      '--user',
      `${EXAMPLE_CREDENTIALS.accessKeyId}:${secret}`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      `@${join(dir, 'body.json')}`,
      '-o',
      file,
      '-w',
      '%{http_code} %{http_version}',
      frameUrl(),
    ];
    const ok = await run('curl', args(EXAMPLE_CREDENTIALS.secretAccessKey, out));
    expect(ok.stdout).toBe('200 2');
    expect(
      Buffer.compare(await readFile(out), await readFile('ahi-server/fixtures/htj2k/CT1.j2c')),
    ).toBe(0);
    const bad = await run('curl', args('wrong', join(dir, 'err.json')));
    expect(bad.stdout).toBe('403 2');
    expect(JSON.parse(await readFile(join(dir, 'err.json'), 'utf8'))).toEqual({
      message: expect.stringMatching(
        /^The request signature we calculated does not match/,
      ) as unknown,
    });
  });
});
