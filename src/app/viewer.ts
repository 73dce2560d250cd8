/**
 * The viewer's logic: which frame is looked at, where its pixels come from, and priority. A frame
 * that is stored is read and decoded by the library worker; one that is not downloaded yet is
 * moved, with a block of neighbours, to the front of the running job's queue (as a viewer's
 * cache fetches the display region first), and shown from the pixels its worker sends back.
 */
import type { PixelDescription, Plan, PlannedFrame } from '../core/plan';
import { defaultWindow, sampledRange, type Window } from '../core/render';
import { syntaxInfo } from '../core/syntax';
import type { DecodedPixels, Format, FrameResult } from '../core/protocol';
import { receivedFrame, storedFrame, storedThumbnail } from '../pool/libraryWorker';
import {
  appStore,
  FRAME_STATE_CODE,
  initialViewer,
  setPreview,
  updateViewer,
  type FrameState,
  type SeriesSummary,
  type ViewerSlice,
} from '../state/store';

/** Frames moved to the front with the one clicked: a few before it, more after (scroll ahead). */
const BLOCK_BEFORE = 4;
const BLOCK_AFTER = 12;

export interface ViewerHost {
  /** still to be fetched by the running job */
  pending(key: string): boolean;
  prioritise(keys: string[]): void;
}

let planFrames = new Map<string, PlannedFrame>();
let format: Format = 'raw';
let host: ViewerHost | undefined;
/** the user asked for this frame at t0 (performance.now()) and waits for its pixels */
let asked: { key: string; t0: number } | undefined;
/** a running job's first frame is not painted yet (it is marked for benchmarks when it is) */
let firstPaintPending = false;
/** a job is being prepared: its first frame may be shown before its plan is here */
let aheadWanted = false;
let loadSeq = 0;
/** series and index of each frame of the job open in the viewer */
let positions = new Map<string, readonly [number, number]>();
/** frames arrived since the progress bars were last told to redraw */
let progressDirty = false;

/** Records what is known of a frame, by key and in its series' progress (mutated in place). */
function setState(v: Pick<ViewerSlice, 'frames' | 'strips'>, key: string, state: FrameState) {
  v.frames.set(key, state);
  const at = locate(key);
  const strip = at && v.strips[at[0]];
  if (!at || !strip) return;
  if (strip.states[at[1]] === 0) strip.done++;
  strip.states[at[1]] = FRAME_STATE_CODE[state];
}

/** Orders a plan's frames into series for display. */
export function seriesOf(plan: Plan): SeriesSummary[] {
  // Per image set, then per series (a study's non-primary copy has the same series UIDs).
  // Nested maps, not a joined key per frame: a cohort's 200,000 frames made as many strings.
  const bySet = new Map<string, Map<string, PlannedFrame[]>>();
  for (const f of plan.frames) {
    let set = bySet.get(f.imageSetId);
    if (!set) bySet.set(f.imageSetId, (set = new Map<string, PlannedFrame[]>()));
    const list = set.get(f.seriesUid);
    if (list) list.push(f);
    else set.set(f.seriesUid, [f]);
  }
  const bySeries = [...bySet.entries()].flatMap(([imageSetId, set]) =>
    [...set.entries()].map(
      ([seriesUid, frames]) => [`${imageSetId}/${seriesUid}`, frames] as const,
    ),
  );
  return bySeries.map(([uid, frames], i) => {
    frames.sort(
      (a, b) =>
        (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) ||
        a.instanceUid.localeCompare(b.instanceUid) ||
        a.frameIndex - b.frameIndex,
    );
    return {
      uid,
      imageSetId: frames[0]!.imageSetId,
      label: `${frames[0]?.seriesLabel ?? `Series ${i + 1}`} (${frames.length} frame${frames.length === 1 ? '' : 's'})`,
      keys: frames.map((f) => f.key),
    };
  });
}

/** Shows a job's frames in the viewer: those stored, and those a running job will bring. */
export function openJob(
  jobId: string,
  plan: Plan,
  jobFormat: Format,
  stored: Set<string>,
  runningHost?: ViewerHost,
  /** frames that failed in an earlier run and are not stored */
  failed: Iterable<string> = [],
): void {
  planFrames = new Map();
  for (const f of plan.frames) planFrames.set(f.key, f);
  format = jobFormat;
  host = runningHost;
  asked = undefined;
  aheadWanted = false;
  const series = seriesOf(plan);
  positions = new Map();
  series.forEach((x, s) => x.keys.forEach((k, i) => positions.set(k, [s, i] as const)));
  const v: Pick<ViewerSlice, 'frames' | 'strips'> = {
    frames: new Map(),
    strips: series.map((x) => ({ states: new Uint8Array(x.keys.length), done: 0 })),
  };
  for (const k of failed) setState(v, k, 'failed');
  for (const k of stored) setState(v, k, 'stored');
  const ahead = appStore.getState().preview;
  dropVideo();
  const imageSets = plan.imageSets.map((x) => ({
    imageSetId: x.imageSetId,
    label: x.label ?? `Image set ${x.imageSetId}`,
  }));
  updateViewer({ ...initialViewer(), jobId, series, imageSets, ...v });
  setPreview(undefined);
  // The running job's first frame, shown while the job was prepared: it stays, now with what
  // the plan knows about it (window presets, value range).
  if (runningHost && ahead && planFrames.has(ahead.key)) {
    const at = locate(ahead.key);
    if (at) {
      updateViewer({ seriesIndex: at[0], index: at[1] });
      show(ahead.key, ahead.pixels);
      return;
    }
  }
  // A job that has frames already: show the first stored one.
  for (let s = 0; s < series.length; s++) {
    const i = series[s]!.keys.findIndex((k) => stored.has(k));
    if (i >= 0) {
      void select(s, i, 'auto');
      return;
    }
  }
}

/**
 * Redraws the progress bars if frames arrived since the last time. The runner calls it as it
 * publishes a sample, so React renders both in one go and the page paints one frame per sample.
 */
export function publishProgress(): void {
  if (!progressDirty) return;
  progressDirty = false;
  updateViewer({ progress: appStore.getState().viewer.progress + 1 });
}

/** The running job ended: frames not fetched stay missing until the job is resumed. */
export function detachJob(): void {
  publishProgress();
  host = undefined;
  const v = appStore.getState().viewer;
  if (v.status === 'waiting') updateViewer({ status: 'missing', message: notFetched });
}

const notFetched = 'Not downloaded: press Resume (or Retry failed frames) to fetch it.';

/** A frame of the running job reached its final state. */
export function frameArrived(frame: PlannedFrame, result: FrameResult): void {
  const v = appStore.getState().viewer;
  const state: FrameState =
    result.outcome === 'failed' ? 'failed' : format === 'mem' ? 'seen' : 'stored';
  setState(v, frame.key, state);
  progressDirty = true;
  // The frame looked at landed without its pixels having come first (not wanted when it was
  // sent), or failed (a prefetched preview did not match its checksum): load it, or say why it
  // is missing.
  if (
    currentKey() === frame.key &&
    (result.outcome === 'failed' || appStore.getState().preview?.key !== frame.key)
  )
    void select(v.seriesIndex, v.index, 'auto');
}

/** Empties the viewer (a job that could not be prepared leaves nothing shown). */
export function reset(): void {
  host = undefined;
  planFrames = new Map();
  positions = new Map();
  aheadWanted = false;
  dropVideo();
  updateViewer(initialViewer());
  setPreview(undefined);
}

/**
 * Start was pressed: the viewer empties, waits for the new job's first frame (pixelsAhead), and
 * marks its first paint.
 */
export function starting(): void {
  reset();
  aheadWanted = true;
  firstPaintPending = true;
}

/**
 * The new job's first frame, fetched while the job is prepared (no plan here yet): shown at
 * once; its checksum is checked when its task runs (a mismatch fails the frame, and the viewer
 * then says so).
 */
export function pixelsAhead(key: string, pixels: DecodedPixels): void {
  if (!aheadWanted || appStore.getState().preview) return;
  // No value range from the metadata yet: an estimate from a sample of the pixels.
  setPreview({ key, pixels, range: sampledRange(pixels) });
  updateViewer({ status: 'shown', message: undefined });
}

/** Whether the viewer shows `key`'s pixels already. */
export function shows(key: string): boolean {
  return appStore.getState().preview?.key === key;
}

/** A wanted frame's pixels, decoded and verified, ahead of its result (it is being stored). */
export function pixelsArrived(key: string, pixels: DecodedPixels): void {
  if (!planFrames.has(key)) return;
  if (currentKey() === key) show(key, pixels);
  else if (appStore.getState().viewer.status === 'none') {
    // Nothing chosen yet: the job's first decoded frame is shown as it lands.
    const at = locate(key);
    if (at) {
      updateViewer({ seriesIndex: at[0], index: at[1] });
      show(key, pixels);
    }
  }
}

function currentKey(): string | undefined {
  const v = appStore.getState().viewer;
  return v.series[v.seriesIndex]?.keys[v.index];
}

/** Series and index of a frame of the job open in the viewer. */
function locate(key: string): readonly [number, number] | undefined {
  return positions.get(key);
}

/**
 * Looks at frame `index` of series `seriesIndex`: `click` and `key` are a person asking (the
 * frame and its neighbours jump the queue; click-to-pixels is timed), `auto` is the app.
 */
export async function select(
  seriesIndex: number,
  index: number,
  how: 'click' | 'key' | 'auto',
): Promise<void> {
  const v = appStore.getState().viewer;
  const series = v.series[seriesIndex];
  if (!series || series.keys.length === 0) return;
  index = Math.max(0, Math.min(series.keys.length - 1, index));
  const key = series.keys[index]!;
  const seq = ++loadSeq;
  if (how !== 'auto') asked = { key, t0: performance.now() };
  dropVideo();
  updateViewer({ seriesIndex, index });
  const state = v.frames.get(key);
  const syntax = syntaxInfo(planFrames.get(key)?.syntax);
  if (state === 'stored' && syntax?.video) {
    updateViewer({ status: 'loading', message: undefined });
    const received = await receivedFrame(v.jobId ?? '', key).catch(() => undefined);
    if (seq !== loadSeq) return;
    if (!received) {
      updateViewer({ status: 'missing', message: `This ${syntax.name} video is not stored.` });
      return;
    }
    const url = URL.createObjectURL(new Blob([received.data], { type: received.contentType }));
    updateViewer({
      status: 'video',
      message: undefined,
      video: { key, url, contentType: received.contentType, name: syntax.name },
    });
    return;
  }
  if (state === 'stored') {
    updateViewer({ status: 'loading', message: undefined });
    const pixels = await storedFrame(v.jobId ?? '', key).catch(() => undefined);
    if (seq !== loadSeq) return;
    if (pixels && !('unavailable' in pixels)) show(key, pixels);
    else
      updateViewer({
        status: 'missing',
        message:
          pixels && !pixels.undecodable
            ? pixels.unavailable
            : `This frame is stored as ${syntaxInfo(planFrames.get(key)?.syntax)?.name ?? 'a syntax'}, which this viewer cannot show (video, JPEG XL past 8 bits); it is in exports as received.`,
      });
    return;
  }
  if (state === 'failed') {
    const failure = appStore.getState().job.failures.find((f) => f.key === key);
    updateViewer({
      status: 'failed',
      message: `This frame failed${failure ? `: ${failure.error.message}` : '.'}`,
    });
    return;
  }
  if (state === 'seen') {
    updateViewer({
      status: 'missing',
      message: 'The mem format keeps no frames: choose jph or raw to look at them later.',
    });
    return;
  }
  if (host?.pending(key)) {
    if (how !== 'auto') {
      const block = [key];
      for (let d = 1; d <= Math.max(BLOCK_BEFORE, BLOCK_AFTER); d++) {
        if (d <= BLOCK_AFTER && series.keys[index + d]) block.push(series.keys[index + d]!);
        if (d <= BLOCK_BEFORE && series.keys[index - d]) block.push(series.keys[index - d]!);
      }
      host.prioritise(block.filter((k) => !v.frames.has(k)));
    }
    updateViewer({ status: 'waiting', message: 'Not downloaded yet: fetching it first…' });
    return;
  }
  updateViewer({ status: 'missing', message: notFetched });
}

/** Lets go of the video shown, if any (its object URL holds the clip's bytes). */
function dropVideo(): void {
  const video = appStore.getState().viewer.video;
  if (!video) return;
  URL.revokeObjectURL(video.url);
  updateViewer({ video: undefined });
}

/** Steps through the current series (arrow keys); single steps past its ends go to the next one. */
export function step(delta: number): void {
  const v = appStore.getState().viewer;
  const n = v.series[v.seriesIndex]?.keys.length ?? 0;
  const to = v.index + delta;
  if (Math.abs(delta) === 1 && to >= n && v.seriesIndex + 1 < v.series.length)
    void select(v.seriesIndex + 1, 0, 'key');
  else if (Math.abs(delta) === 1 && to < 0 && v.seriesIndex > 0)
    void select(v.seriesIndex - 1, (v.series[v.seriesIndex - 1]?.keys.length ?? 1) - 1, 'key');
  else void select(v.seriesIndex, to, 'key');
}

/** A frame's data range from the metadata (MinPixelValue/MaxPixelValue), when it has one. */
function rangeOf(f: PlannedFrame | undefined): { min: number; max: number } | undefined {
  return f?.minPixel !== undefined && f.maxPixel !== undefined
    ? { min: f.minPixel, max: f.maxPixel }
    : undefined;
}

function show(key: string, pixels: DecodedPixels): void {
  const frame = planFrames.get(key);
  const range = rangeOf(frame);
  setPreview({
    key,
    pixels,
    ...(frame?.pixel ? { description: frame.pixel } : {}),
    ...(range ? { range } : {}),
  });
  updateViewer({ status: 'shown', message: undefined });
}

/**
 * The viewer painted `key`: if someone asked for it, record how long it took; a running job's first
 * paint is marked (`ahi:first-paint`, the first decoded frame on screen).
 */
export function painted(key: string): void {
  if (firstPaintPending) {
    firstPaintPending = false;
    performance.mark('ahi:first-paint');
  }
  if (asked?.key !== key) return;
  const ms = performance.now() - asked.t0;
  performance.measure('ahi:click-to-pixels', { start: asked.t0, duration: ms });
  asked = undefined;
  updateViewer({ clickToPixelsMs: ms });
}

const thumbQueue: (() => Promise<void>)[] = [];
let thumbsRunning = 0;
/** Thumbnails decoded at a time: enough to fill the strip, little enough to leave the job alone. */
const THUMB_CONCURRENCY = 2;

function pumpThumbs(): void {
  while (thumbsRunning < THUMB_CONCURRENCY && thumbQueue.length > 0) {
    thumbsRunning++;
    void thumbQueue.shift()!().finally(() => {
      thumbsRunning--;
      pumpThumbs();
    });
  }
}

/** A stored frame's thumbnail with its description and default window, or undefined. */
export function thumbnail(
  jobId: string,
  key: string,
  maxSize: number,
): Promise<{ pixels: DecodedPixels; description?: PixelDescription; window: Window } | undefined> {
  return new Promise((resolve) => {
    thumbQueue.push(async () => {
      const pixels = await storedThumbnail(jobId, key, maxSize).catch(() => undefined);
      if (!pixels) return resolve(undefined);
      const f = planFrames.get(key);
      resolve({
        pixels,
        ...(f?.pixel ? { description: f.pixel } : {}),
        window: defaultWindow(pixels, f?.pixel, rangeOf(f)),
      });
    });
    pumpThumbs();
  });
}

export function setWindow(window: { center: number; width: number } | undefined): void {
  updateViewer({ window });
}

export function setFit(fit: boolean): void {
  updateViewer({ fit });
}
