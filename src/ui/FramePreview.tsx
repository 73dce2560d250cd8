/** Shows the preview frame on a canvas, windowed from its full pixel range. */
import { useEffect, useRef } from 'react';
import { fullRangeWindow, toRgba } from '../core/render';
import { useApp } from '../state/store';

export function FramePreview() {
  const preview = useApp((s) => s.preview);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c || !preview) return;
    const { pixels, description } = preview;
    c.width = pixels.width;
    c.height = pixels.height;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(pixels.width, pixels.height);
    toRgba(pixels, description, fullRangeWindow(pixels, description), image.data);
    ctx.putImageData(image, 0, 0);
  }, [preview]);
  return (
    <figure className="preview panel">
      <canvas ref={canvas} aria-label="Decoded frame" data-frame={preview?.key ?? ''} />
      <figcaption>
        {preview
          ? `${preview.pixels.width}×${preview.pixels.height}, ${preview.key.split('/')[1]}`
          : 'No frame decoded yet.'}
      </figcaption>
    </figure>
  );
}
