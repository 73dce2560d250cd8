/**
 * The runner's ceiling: a bare node:http2 fetch loop, run as a process of its own
 * (`tsx bench/nodeLoop.ts <endpoint> <manifest> <inFlight>`): every frame of the manifest signed
 * with aws4fetch beforehand, then fetched with `inFlight` requests at once over connections of 20
 * streams each, bodies collected and dropped. Nothing decoded, verified or written: what Node's
 * HTTP/2 and TLS cost on this machine. Prints one JSON line: frames, bytes, ms, CPU ms.
 */
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { AwsClient } from 'aws4fetch';
import { EXAMPLE_CREDENTIALS } from '../ahi-server/knobs';

const [endpoint, manifestPath, inFlightText] = process.argv.slice(2);
const inFlight = Number(inFlightText ?? 20);
const manifest = JSON.parse(readFileSync(manifestPath!, 'utf8')) as {
  DatastoreID: string;
  ImageSetID: string;
  Study: {
    Series: Record<string, { Instances: Record<string, { ImageFrames: { ID: string }[] }> }>;
  };
};
const ids = Object.values(manifest.Study.Series).flatMap((s) =>
  Object.values(s.Instances).flatMap((i) => i.ImageFrames.map((f) => f.ID)),
);
const aws = new AwsClient({
  ...EXAMPLE_CREDENTIALS,
  service: 'medical-imaging',
  region: 'us-east-1',
  retries: 0,
});
const path = `/datastore/${manifest.DatastoreID}/imageSet/${manifest.ImageSetID}/getImageFrame`;
const requests = await Promise.all(
  ids.map(async (id) => {
    const body = JSON.stringify({ imageFrameId: id });
    const signed = await aws.sign(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': path };
    signed.headers.forEach((v, k) => {
      if (k !== 'host') headers[k] = v;
    });
    return { headers, body };
  }),
);

const sessions = Array.from({ length: Math.ceil(inFlight / 20) }, () => http2.connect(endpoint!));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
let bytes = 0;
let frames = 0;
await new Promise<void>((resolve, reject) => {
  let active = 0;
  const pump = () => {
    while (active < inFlight && next < requests.length) {
      const r = requests[next]!;
      const session = sessions[next % sessions.length]!;
      next++;
      active++;
      const stream = session.request(r.headers);
      stream.on('response', (head) => {
        if (head[':status'] !== 200) reject(new Error(`status ${String(head[':status'])}`));
      });
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        active--;
        frames++;
        if (frames === requests.length) resolve();
        else pump();
      });
      stream.on('error', reject);
      stream.end(r.body);
    }
  };
  pump();
});
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
for (const s of sessions) s.close();
console.log(JSON.stringify({ frames, bytes, ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
