/**
 * Per series (grouped by image set in a cohort, with each image set's progress): progress (a bar with one column per frame: stored, failed or still to come; click
 * anywhere to look at that frame, which jumps the queue if it is not downloaded yet) and a strip
 * of thumbnails from sub-resolution decodes that fill in as their frames arrive.
 */
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { select as selectFrame, thumbnail as storedThumbnailOf } from '../app/viewer';
import { toRgba } from '../core/render';
import {
  FRAME_STATE_CODE,
  useApp,
  type FrameState,
  type SeriesProgress,
  type SeriesSummary,
} from '../state/store';

const THUMBS = 10;
const THUMB_SIZE = 64;
const COLOR: Record<FrameState | 'pending', string> = {
  stored: '#2f9e44',
  seen: '#868e96',
  failed: '#e03131',
  pending: '#dee2e6',
};
/** the same by state code (FRAME_STATE_CODE; 0 is pending) */
const COLORS = [COLOR.pending];
for (const [state, code] of Object.entries(FRAME_STATE_CODE))
  COLORS[code] = COLOR[state as FrameState];

/** Evenly spaced frame indexes for the thumbnails of a series of `n` frames. */
export function thumbIndexes(n: number, count = THUMBS): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1)));
}

function ProgressBar({
  series,
  strip,
  index,
  seriesIndex,
}: {
  series: SeriesSummary;
  strip: SeriesProgress;
  index: number | undefined;
  seriesIndex: number;
}) {
  const progress = useApp((s) => s.viewer.progress);
  const canvas = useRef<HTMLCanvasElement>(null);
  // The bar's width in device pixels, from a ResizeObserver (zoom included): reading clientWidth
  // in the redraw forced a layout of the page at every sample.
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const resize = new ResizeObserver(([entry]) => {
      const device =
        entry?.devicePixelContentBoxSize?.[0]?.inlineSize ??
        (entry?.contentBoxSize[0]?.inlineSize ?? c.clientWidth) * devicePixelRatio;
      setWidth(Math.max(100, Math.floor(device)));
    });
    resize.observe(c);
    return () => resize.disconnect();
  }, []);
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || width === 0) return;
    const height = 14;
    // Setting a canvas's size, even to the same, gives it a new backing store: only on a resize.
    if (c.width !== width) c.width = width;
    if (c.height !== height) c.height = height;
    const states = strip.states;
    const n = states.length;
    // One rectangle per run of frames in the same state (a column per frame, at least 1 px),
    // not one per frame: a series of thousands redraws with every sample while a job runs.
    let runState = -1;
    let runX0 = 0;
    let runX1 = 0;
    const flush = () => {
      if (runState < 0) return;
      ctx.fillStyle = COLORS[runState]!;
      ctx.fillRect(runX0, 0, runX1 - runX0, height);
    };
    for (let i = 0; i < n; i++) {
      const state = states[i]!;
      const x0 = Math.floor((i * width) / n);
      const x1 = Math.max(x0 + 1, Math.floor(((i + 1) * width) / n));
      if (state !== runState) {
        flush();
        runState = state;
        runX0 = x0;
      }
      runX1 = x1;
    }
    flush();
    if (index !== undefined) {
      ctx.fillStyle = '#1d232b';
      ctx.fillRect(Math.floor(((index + 0.5) * width) / n) - 1, 0, 3, height);
    }
  }, [strip, progress, index, width]);

  function onClick(e: MouseEvent<HTMLCanvasElement>) {
    const r = e.currentTarget.getBoundingClientRect();
    const i = Math.floor(((e.clientX - r.left) / r.width) * series.keys.length);
    void selectFrame(seriesIndex, i, 'click');
    document.querySelector<HTMLElement>('.viewport')?.focus();
  }

  return (
    <canvas
      ref={canvas}
      className="progress-bar"
      aria-label={`Frames of ${series.label}: click to view one`}
      onClick={onClick}
    />
  );
}

function Thumbnail({
  jobId,
  frameKey,
  label,
  onClick,
}: {
  jobId: string;
  frameKey: string;
  label: string;
  onClick: () => void;
}) {
  // The map is mutated in place; every store update re-runs this selector.
  const state = useApp((s) => s.viewer.frames.get(frameKey));
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawn = useRef(false);
  useEffect(() => {
    if (state !== 'stored' || drawn.current) return;
    let live = true;
    void storedThumbnailOf(jobId, frameKey, THUMB_SIZE).then((t) => {
      const c = canvas.current;
      const ctx = c?.getContext('2d');
      if (!live || !t || !c || !ctx) return;
      c.width = t.pixels.width;
      c.height = t.pixels.height;
      const img = ctx.createImageData(t.pixels.width, t.pixels.height);
      toRgba(t.pixels, t.description, t.window, img.data);
      ctx.putImageData(img, 0, 0);
      drawn.current = true;
    });
    return () => {
      live = false;
    };
  }, [state, jobId, frameKey]);
  return (
    <button
      type="button"
      className={`thumb ${state ?? 'pending'}`}
      aria-label={label}
      onClick={onClick}
    >
      <canvas ref={canvas} width={THUMB_SIZE} height={THUMB_SIZE} />
    </button>
  );
}

function Strip({ s }: { s: number }) {
  const viewer = useApp((st) => st.viewer);
  const series = viewer.series[s]!;
  const strip = viewer.strips[s]!;
  return (
    <div className="strip">
      <div className="strip-head">
        <strong>{series.label}</strong>
        <span className="hint">
          {strip.done} of {series.keys.length} done
        </span>
      </div>
      <ProgressBar
        series={series}
        strip={strip}
        seriesIndex={s}
        index={viewer.seriesIndex === s ? viewer.index : undefined}
      />
      <div className="thumbs">
        {thumbIndexes(series.keys.length).map((i) => (
          <Thumbnail
            key={`${viewer.jobId}/${series.keys[i]}`}
            jobId={viewer.jobId!}
            frameKey={series.keys[i]!}
            label={`Frame ${i + 1} of ${series.label}`}
            onClick={() => {
              void selectFrame(s, i, 'click');
              document.querySelector<HTMLElement>('.viewport')?.focus();
            }}
          />
        ))}
      </div>
    </div>
  );
}

/** the image sets of a cohort shown open at first (the others open on a click) */
const OPEN_IMAGE_SETS = 3;

/**
 * One image set of a cohort: its progress summed over its series, and its series' strips while it
 * is open (closed ones draw nothing: a cohort of hundreds of image sets stays light).
 */
function ImageSetGroup({
  label,
  indexes,
  initiallyOpen,
}: {
  label: string;
  indexes: number[];
  initiallyOpen: boolean;
}) {
  const strips = useApp((st) => st.viewer.strips);
  const series = useApp((st) => st.viewer.series);
  useApp((st) => st.viewer.progress);
  const [open, setOpen] = useState(initiallyOpen);
  const done = indexes.reduce((n, s) => n + (strips[s]?.done ?? 0), 0);
  const total = indexes.reduce((n, s) => n + (series[s]?.keys.length ?? 0), 0);
  return (
    <details className="image-set" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <strong>{label}</strong>{' '}
        <span className="hint">
          {indexes.length} series · {done} of {total} done
        </span>
      </summary>
      {open && indexes.map((s) => <Strip key={series[s]!.uid} s={s} />)}
    </details>
  );
}

export function SeriesStrip() {
  const jobId = useApp((st) => st.viewer.jobId);
  const series = useApp((st) => st.viewer.series);
  const imageSets = useApp((st) => st.viewer.imageSets);
  if (!jobId || series.length === 0) return null;
  if (imageSets.length <= 1)
    return (
      <section className="panel strips" aria-label="Series">
        {series.map((x, s) => (
          <Strip key={x.uid} s={s} />
        ))}
      </section>
    );
  const bySet = new Map<string, number[]>();
  series.forEach((x, s) => {
    const list = bySet.get(x.imageSetId) ?? [];
    list.push(s);
    bySet.set(x.imageSetId, list);
  });
  return (
    <section className="panel strips" aria-label="Series">
      <p className="hint">
        {imageSets.length} image sets, {series.length} series
      </p>
      {imageSets.map((set, n) => (
        <ImageSetGroup
          key={`${jobId}/${set.imageSetId}`}
          label={set.label}
          indexes={bySet.get(set.imageSetId) ?? []}
          initiallyOpen={n < OPEN_IMAGE_SETS}
        />
      ))}
    </section>
  );
}
