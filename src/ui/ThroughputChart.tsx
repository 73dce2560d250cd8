/**
 * Live throughput: two uPlot charts created once and fed with setData in an animation frame when
 * a new sample is published (never through React state): MB/s and frames/s downloaded and
 * decoded over the last five minutes; below, requests in flight and retries per second. The
 * samples are averaged down to a few points per line (see MAX_POINTS).
 */
import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { liveMetrics } from '../app/jobs';
import { hasStarted } from '../core/job';
import { bucketMeans } from '../state/metrics';
import { appStore, useApp } from '../state/store';

const HEIGHT = 150;
/**
 * Points drawn per line. The page's compositor commits cost more with every point drawn, at every
 * commit, not only when the chart draws: drawing all samples (4 a second, up to 1,200), a commit's
 * main-thread time grew through a 10,000-frame job from ~1.4 to ~2.7 ms on average and to 8 ms at
 * most (all commits: 200 to 400 ms per 10 s), with 50-70 ms tasks on 2 busy cores. At 60 or 80
 * points it stayed flat (~1.5 ms, 200-250 ms per 10 s). 80 points over five minutes is one per 4 s.
 */
const MAX_POINTS = 80;
const HEALTH_HEIGHT = 90;

function rateChart(width: number): Options {
  return {
    width,
    height: HEIGHT,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false }, mbps: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [
      { label: 's', size: 30 },
      { scale: 'mbps', label: 'MB/s', size: 50 },
      {
        scale: 'fps',
        label: 'frames/s',
        side: 1,
        size: 50,
        grid: { show: false },
      },
    ],
    series: [
      {},
      { label: 'MB/s', scale: 'mbps', stroke: '#0b6bcb', width: 2 },
      { label: 'frames/s downloaded', scale: 'fps', stroke: '#2f9e44', width: 1.5 },
      { label: 'frames/s decoded', scale: 'fps', stroke: '#e8590c', width: 1.5, dash: [4, 3] },
    ],
  };
}

function healthChart(width: number): Options {
  return {
    width,
    height: HEALTH_HEIGHT,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } },
    axes: [
      { size: 24 },
      { scale: 'n', label: 'in flight', size: 50 },
      { scale: 'r', label: 'retries/s', side: 1, size: 50, grid: { show: false } },
    ],
    series: [
      {},
      { label: 'in flight', scale: 'n', stroke: '#5f3dc4', width: 1.5 },
      { label: 'retries/s', scale: 'r', stroke: '#c92a2a', width: 1.5 },
    ],
  };
}

const empty = (n: number): AlignedData =>
  Array.from({ length: n }, () => [] as number[]) as unknown as AlignedData;

export function ThroughputChart() {
  const rateBox = useRef<HTMLDivElement>(null);
  const healthBox = useRef<HTMLDivElement>(null);
  const hasRun = useApp((s) => hasStarted(s.job.phase));

  useEffect(() => {
    const a = rateBox.current;
    const b = healthBox.current;
    if (!a || !b) return;
    const width = Math.max(200, a.clientWidth);
    const rates = new uPlot(rateChart(width), empty(4), a);
    const health = new uPlot(healthChart(width), empty(3), b);
    const resize = new ResizeObserver(() => {
      const w = Math.max(200, a.clientWidth);
      rates.setSize({ width: w, height: HEIGHT });
      health.setSize({ width: w, height: HEALTH_HEIGHT });
    });
    resize.observe(a);
    // Drawn when the runner publishes a sample (it replaces the store's job slice), in the next
    // animation frame: the one that also paints React's update of the same sample, so the page
    // makes one frame per sample, not one for the page and one per chart. Each frame costs the
    // main thread ~4 ms (style, paint, commit) on 2 busy cores.
    let seen: unknown;
    let seenCount = -1;
    let frame = 0;
    const draw = () => {
      frame = 0;
      const m = liveMetrics();
      if (!m) return;
      const s = m.series;
      if (m === seen && s.t.pushed === seenCount) return;
      seen = m;
      seenCount = s.t.pushed;
      const [t = [], mbps = [], frames = [], decoded = [], inFlight = [], retries = []] =
        bucketMeans([s.t, s.mbps, s.frames, s.decoded, s.inFlight, s.retries], MAX_POINTS);
      const firstDraw = health.data[0].length === 0;
      rates.setData([t, mbps, frames, decoded]);
      const second = () => health.setData([t, inFlight, retries]);
      // The first draw sizes the axes: both charts in one frame took 14-16 ms of main thread on
      // a busy machine, a 45-65 ms task when the workers held the cores. The second one waits.
      if (firstDraw) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          second();
        });
      } else second();
    };
    const request = () => {
      if (frame === 0 && !document.hidden) frame = requestAnimationFrame(draw);
    };
    const unsubscribe = appStore.subscribe((state, prev) => {
      if (state.job !== prev.job) request();
    });
    // Samples published while the tab was hidden (a job may have ended meanwhile) are drawn
    // when it shows again.
    document.addEventListener('visibilitychange', request);
    return () => {
      unsubscribe();
      document.removeEventListener('visibilitychange', request);
      cancelAnimationFrame(frame);
      resize.disconnect();
      rates.destroy();
      health.destroy();
    };
  }, []);

  return (
    <section className="panel chart" aria-label="Throughput">
      <div ref={rateBox} role="img" aria-label="Download rate and frames per second" />
      <div ref={healthBox} role="img" aria-label="Requests in flight and retries per second" />
      {!hasRun && <p className="hint chart-empty">Throughput appears here when a job runs.</p>}
    </section>
  );
}
