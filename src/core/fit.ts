/**
 * Will a job fit in the browser's storage? What each format keeps (raw: the decoded pixels, which
 * FrameSizeInBytes measures; jph: the codestreams, smaller but unknown until they arrive; mem:
 * nothing), against what the storage estimate leaves and what the store's own probe found (the
 * estimate alone cannot be trusted: see io/store/room.ts), with what the user can do when it will
 * not.
 */
import type { Format } from './protocol';

export interface Fit {
  /** bytes the job may store (an upper bound for jph) */
  needed: number;
  /** bytes the browser leaves this site; undefined when it does not say */
  free?: number;
  fits: boolean;
  /** the store's probe found no room for it (whatever the estimate says) */
  refused: boolean;
  /** what to do when it does not fit, in words */
  advice: string[];
}

export function storageFit(
  bytes: number,
  format: Format,
  estimate: { usage?: number; quota?: number; persisted?: boolean },
  /** the probe's answer for `bytes` (undefined: not probed, or the browser did not say) */
  room?: boolean,
): Fit {
  const needed = format === 'mem' ? 0 : bytes;
  const free =
    estimate.quota === undefined ? undefined : Math.max(0, estimate.quota - (estimate.usage ?? 0));
  const refused = needed > 0 && room === false;
  const fits = !refused && (free === undefined || needed <= free);
  const advice: string[] = [];
  if (!fits) {
    if (!estimate.persisted)
      advice.push(
        'ask the browser to keep this site’s data (persistent storage), which can raise its share of the disk',
      );
    advice.push(
      'select fewer image sets, or save the selection as manifests split into parts and download them one by one',
    );
    if (format === 'raw')
      advice.push(
        'choose the jph format: codestreams are usually 2 to 3 times smaller than decoded pixels',
      );
    advice.push('delete stored jobs you have exported');
  }
  return { needed, ...(free !== undefined ? { free } : {}), fits, refused, advice };
}
