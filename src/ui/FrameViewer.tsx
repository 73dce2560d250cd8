/**
 * The frame viewer: a canvas showing the selected frame with a VOI window (drag to change it:
 * horizontal = width, vertical = level), presets from the DICOM WindowCenter/Width and a min/max
 * window, fit or 1:1, arrow keys to step through the series, and a frame number to jump to. A
 * frame not downloaded yet is fetched first and shown when it lands; a stored video is played.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import {
  painted as framePainted,
  select as selectFrame,
  setFit as setViewerFit,
  setWindow as setViewerWindow,
  step as stepFrame,
} from '../app/viewer';
import { defaultWindow, minMaxWindow, toRgba, warmRendering, type Window } from '../core/render';
import { useApp, type PreviewSlice } from '../state/store';
import { VideoPlayer } from './VideoPlayer';

const autoWindow = (p: PreviewSlice) => defaultWindow(p.pixels, p.description, p.range);
const rangeWindow = (p: PreviewSlice) => minMaxWindow(p.pixels, p.description, p.range);

const round = (w: Window) => `W ${Math.round(w.width)} · L ${Math.round(w.center)}`;

export function FrameViewer() {
  const preview = useApp((s) => s.preview);
  const viewer = useApp((s) => s.viewer);
  const canvas = useRef<HTMLCanvasElement>(null);
  const image = useRef<ImageData | null>(null);
  const drag = useRef<{ x: number; y: number; w: Window; range: number } | null>(null);
  const [frameInput, setFrameInput] = useState('');
  const rgb = (preview?.pixels.components ?? 1) >= 3;
  const current = preview ? (viewer.window ?? autoWindow(preview)) : undefined;

  // The canvas's first paint makes the renderer open its channel to the GPU process, a synchronous
  // call that blocked the first frame's task for 13-15 ms on a busy machine: paint once on mount,
  // while the page is idle, instead. The pixel code runs once then too (warmRendering): run
  // first on a real frame, it took 4-11 ms more of a paint task that reached 43-58 ms.
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = c.height = 1;
    ctx.clearRect(0, 0, 1, 1);
    if (typeof requestIdleCallback !== 'function') return;
    const idle = requestIdleCallback(warmRendering);
    return () => cancelIdleCallback(idle);
  }, []);

  // Draw whenever the frame or the window changes, in a task of its own: in the task that
  // delivered the frame (worker message, store update, React render) the first paint of a run
  // (pixels through the VOI table by code not yet compiled, ~8 ms of CPU) made one task of
  // 15-18 ms, 50-65 ms long while the workers held both cores. A newer frame or window cancels
  // a paint not yet done (a drag paints once per task, not once per pointer event).
  useEffect(() => {
    const c = canvas.current;
    if (!c || !preview || !current) return;
    const paint = setTimeout(() => {
      const { pixels } = preview;
      const ctx = c.getContext('2d');
      if (!ctx) return;
      if (c.width !== pixels.width || c.height !== pixels.height) {
        c.width = pixels.width;
        c.height = pixels.height;
      }
      if (image.current?.width !== pixels.width || image.current.height !== pixels.height)
        image.current = ctx.createImageData(pixels.width, pixels.height);
      toRgba(pixels, preview.description, current, image.current.data);
      ctx.putImageData(image.current, 0, 0);
      // What the canvas holds now (data-frame and data-window say what is chosen, a task earlier).
      c.dataset['painted'] = `${preview.key}@${current.center},${current.width}`;
      framePainted(preview.key);
    });
    return () => clearTimeout(paint);
  }, [preview, current?.center, current?.width]); // eslint-disable-line react-hooks/exhaustive-deps

  const series = viewer.series[viewer.seriesIndex];
  const total = series?.keys.length ?? 0;
  const shownKey = series?.keys[viewer.index];
  const showing = preview && preview.key === shownKey;
  // The frame chosen has nothing to show: the one before it is not left on screen as if it were.
  const nothing = viewer.status === 'missing' || viewer.status === 'failed';

  function onKeyDown(e: KeyboardEvent) {
    const steps: Record<string, number> = {
      ArrowRight: 1,
      ArrowDown: 1,
      ArrowLeft: -1,
      ArrowUp: -1,
      PageDown: 10,
      PageUp: -10,
    };
    if (e.key in steps) stepFrame(steps[e.key]!);
    else if (e.key === 'Home') void selectFrame(viewer.seriesIndex, 0, 'key');
    else if (e.key === 'End') void selectFrame(viewer.seriesIndex, total - 1, 'key');
    else return;
    e.preventDefault();
  }

  function onPointerDown(e: PointerEvent<HTMLCanvasElement>) {
    if (!preview || !current || rgb) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const r = rangeWindow(preview);
    drag.current = { x: e.clientX, y: e.clientY, w: current, range: Math.max(r.width, 64) };
  }
  function onPointerMove(e: PointerEvent<HTMLCanvasElement>) {
    const d = drag.current;
    if (!d) return;
    // Full-range sweep across about 500 px of mouse travel.
    const k = d.range / 500;
    setViewerWindow({
      width: Math.max(1, d.w.width + (e.clientX - d.x) * k),
      center: d.w.center + (e.clientY - d.y) * k,
    });
  }
  const endDrag = () => {
    drag.current = null;
  };

  const presets = preview?.description?.windows ?? [];
  return (
    <section className="panel viewer" aria-label="Frame viewer">
      <div className="viewer-bar">
        <form
          className="goto"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(frameInput);
            if (Number.isInteger(n) && n >= 1 && n <= total)
              void selectFrame(viewer.seriesIndex, n - 1, 'click');
          }}
        >
          <label>
            Frame
            <input
              type="number"
              min={1}
              max={total || 1}
              value={frameInput || (total ? viewer.index + 1 : '')}
              onChange={(e) => setFrameInput(e.target.value)}
              onBlur={() => setFrameInput('')}
              disabled={!total}
              aria-label="Frame number"
            />
          </label>
          <span className="hint">of {total}</span>
        </form>
        <div className="presets" role="group" aria-label="Window presets">
          {presets.map((w, i) => (
            <button
              key={i}
              type="button"
              className="secondary"
              disabled={rgb}
              onClick={() => setViewerWindow(w)}
            >
              {round(w)}
            </button>
          ))}
          <button
            type="button"
            className="secondary"
            disabled={!preview || rgb}
            onClick={() => preview && setViewerWindow(rangeWindow(preview))}
          >
            Min/max
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!viewer.window}
            onClick={() => setViewerWindow(undefined)}
          >
            Auto
          </button>
          <button
            type="button"
            className="secondary"
            aria-pressed={!viewer.fit}
            disabled={viewer.status === 'video'}
            onClick={() => setViewerFit(!viewer.fit)}
          >
            {viewer.fit ? '1:1' : 'Fit'}
          </button>
        </div>
      </div>
      <div
        className={`viewport ${viewer.fit ? 'fit' : 'actual'}`}
        tabIndex={0}
        onKeyDown={onKeyDown}
        aria-label="Frame display: arrow keys step through the series, drag to change the window"
      >
        <canvas
          ref={canvas}
          aria-label="Decoded frame"
          data-frame={showing ? preview.key : ''}
          data-window={current ? `${current.center},${current.width}` : ''}
          hidden={!preview || viewer.status === 'video' || nothing}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
        />
        {viewer.status === 'video' && viewer.video && (
          <VideoPlayer key={viewer.video.key} video={viewer.video} />
        )}
        {viewer.status !== 'shown' && viewer.status !== 'video' && (
          <p className={`viewer-message ${viewer.status}`} aria-live="polite">
            {viewer.status === 'none'
              ? viewer.series.length
                ? 'Click a frame below, or wait for the first one to arrive.'
                : 'Frames appear here as they are decoded.'
              : viewer.status === 'loading'
                ? 'Loading…'
                : viewer.message}
          </p>
        )}
      </div>
      <p className="caption">
        {viewer.status === 'video' && viewer.video
          ? `${viewer.video.name} video, as received (${viewer.video.contentType}) · frame ${viewer.video.key.split('/')[1]}`
          : nothing && shownKey
            ? `frame ${shownKey.split('/')[1]}: not shown`
            : preview && current
              ? `${preview.pixels.width}×${preview.pixels.height}, ${preview.pixels.components >= 3 ? 'RGB' : `${preview.pixels.bitsPerSample}-bit ${preview.pixels.signed ? 'signed' : 'unsigned'}${preview.description?.photometric === 'MONOCHROME1' ? ', MONOCHROME1' : ''}`}${rgb ? '' : `, ${round(current)}`} · frame ${preview.key.split('/')[1]}`
              : 'No frame shown.'}
        {viewer.clickToPixelsMs !== undefined && viewer.status !== 'video' && !nothing && (
          <span className="hint" data-click-to-pixels={viewer.clickToPixelsMs.toFixed(0)}>
            {' '}
            · last jump shown {viewer.clickToPixelsMs.toFixed(0)} ms after the click
          </span>
        )}
      </p>
    </section>
  );
}
