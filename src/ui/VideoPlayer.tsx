/**
 * A stored video frame, played by the browser from the bytes AHI sent (never decoded frame by
 * frame here). A Content-Type the browser says it cannot play (MPEG-2, HEVC in most builds), or
 * a clip it fails on, is said in words: the bytes are stored and in exports either way.
 */
import { useState } from 'react';
import type { ViewerVideo } from '../state/store';

const canPlay = (contentType: string) =>
  document.createElement('video').canPlayType(contentType) !== '';

export function VideoPlayer({ video }: { video: ViewerVideo }) {
  const [failed, setFailed] = useState<string | undefined>();
  if (failed !== undefined || !canPlay(video.contentType))
    return (
      <p className="viewer-message missing" aria-live="polite">
        {failed !== undefined
          ? `This browser could not play this ${video.name} video (${video.contentType}${failed ? `: ${failed}` : ''})`
          : `This browser cannot play ${video.name} video (${video.contentType})`}
        : it is stored, and in exports, as AHI sent it.
      </p>
    );
  return (
    <video
      className="video-frame"
      aria-label="Video frame"
      data-frame={video.key}
      src={video.url}
      controls
      loop
      muted
      playsInline
      onError={(e) => setFailed(e.currentTarget.error?.message ?? '')}
    />
  );
}
