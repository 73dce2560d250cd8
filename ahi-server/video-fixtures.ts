/**
 * The video frames of the "syntaxes" image set: a two-second pan over NEMA US1 encoded by ffmpeg
 * (Debian's) as H.264 in an MP4 file (`video/mp4`) and as an MPEG-2 program stream
 * (`video/mpeg`). AHI keeps video as received, one image frame per instance, and the app never
 * decodes it frame by frame: it stores it, exports it, and plays it in a `<video>` element where
 * the browser can (Chromium plays H.264 in MP4; no browser plays MPEG-2). `npx tsx
 * ahi-server/video-fixtures.ts` remakes fixtures/videos/ (committed; only that needs ffmpeg).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VIDEO_FIXTURES = join(import.meta.dirname, 'fixtures', 'videos');

export interface VideoFixture {
  file: string;
  syntax: string;
  contentType: string;
  description: string;
  width: number;
  height: number;
  /** frames in the clip (DICOM NumberOfFrames) */
  frames: number;
  /** ms per frame (DICOM FrameTime) */
  frameTimeMs: number;
}

export const VIDEOS: readonly VideoFixture[] = [
  {
    file: 'us1-h264.mp4',
    syntax: '1.2.840.10008.1.2.4.102',
    contentType: 'video/mp4',
    description: 'H.264 baseline in MP4 (ffmpeg libx264), a pan over US1',
    width: 320,
    height: 240,
    frames: 20,
    frameTimeMs: 100,
  },
  {
    file: 'us1-mpeg2.mpg',
    syntax: '1.2.840.10008.1.2.4.100',
    contentType: 'video/mpeg',
    description: 'MPEG-2 Main Profile program stream (ffmpeg mpeg2video), a pan over US1',
    width: 320,
    height: 240,
    frames: 20,
    frameTimeMs: 100,
  },
];

const CODEC_ARGS: Record<string, string[]> = {
  'video/mp4': [
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-crf',
    '30',
    '-movflags',
    '+faststart',
  ],
  'video/mpeg': ['-c:v', 'mpeg2video', '-q:v', '16', '-f', 'mpeg'],
};

function makeVideoFixtures(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'ahi-video-'));
  try {
    const us1 = readFileSync(join(import.meta.dirname, 'fixtures', 'htj2k', 'US1.RAW'));
    const source = join(tmp, 'us1.ppm');
    writeFileSync(source, Buffer.concat([Buffer.from('P6\n640 480\n255\n'), us1]));
    mkdirSync(VIDEO_FIXTURES, { recursive: true });
    for (const v of VIDEOS) {
      const seconds = (v.frames * v.frameTimeMs) / 1000;
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-y', '-loop', '1', '-i', source],
        ...['-vf', `crop=${v.width}:${v.height}:t*150:t*100,format=yuv420p`],
        ...['-t', String(seconds), '-r', String(1000 / v.frameTimeMs), '-an'],
        ...['-fflags', '+bitexact', '-map_metadata', '-1'],
        ...CODEC_ARGS[v.contentType]!,
        join(VIDEO_FIXTURES, v.file),
      ]);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) makeVideoFixtures();
