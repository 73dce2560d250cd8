/**
 * Shards: a job split into N parts the same way wherever it is split, so N runner processes (an
 * AWS Batch array job, a Kubernetes Indexed Job, `--shard K/N` by hand) and the app's "save
 * manifest" in N parts agree on who fetches what. Frames are ordered by image set ID (frames of one
 * image set in their document order), then cut into N runs of about equal length: each part gets
 * whole image sets where it can and a run of frames of one where an image set is larger than its
 * share. A group (a DICOM instance, a NIfTI series: a file made of several frames) is never cut:
 * it goes whole to the part its first frame falls in. The order of the inputs does not matter.
 */
import { RetrieveError } from './errors';

export interface Shard {
  /** 1-based: shard 1/4 … 4/4 */
  index: number;
  count: number;
}

/**
 * The part (0-based) of each item, items given with their image set ID and group. Items of one
 * image set keep their order.
 */
export function shardIndices<T>(
  items: readonly T[],
  count: number,
  imageSetOf: (item: T) => string,
  /** frames of one group go to one part; none: every frame is its own */
  groupOf?: (item: T) => string,
): number[] {
  const order = items
    .map((item, i) => ({ i, set: imageSetOf(item) }))
    .sort((a, b) => (a.set < b.set ? -1 : a.set > b.set ? 1 : a.i - b.i));
  const parts = new Array<number>(items.length);
  const groupPart = new Map<string, number>();
  order.forEach(({ i, set }, position) => {
    const group = groupOf ? `${set}\u0000${groupOf(items[i]!)}` : undefined;
    let part = group === undefined ? undefined : groupPart.get(group);
    if (part === undefined) {
      part = Math.min(count - 1, Math.floor((position * count) / items.length));
      if (group !== undefined) groupPart.set(group, part);
    }
    parts[i] = part;
  });
  return parts;
}

/** The items of one shard, in their given order. */
export function shardOf<T>(
  items: readonly T[],
  shard: Shard,
  imageSetOf: (item: T) => string,
  groupOf?: (item: T) => string,
): T[] {
  if (shard.count <= 1) return [...items];
  const parts = shardIndices(items, shard.count, imageSetOf, groupOf);
  return items.filter((_, i) => parts[i] === shard.index - 1);
}

/**
 * Reads `K/N` (1 ≤ K ≤ N).
 * @throws RetrieveError BadInput naming what is wrong
 */
export function parseShard(text: string, what = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new RetrieveError(
      'BadInput',
      `${what} "${text}" is not a shard: expected K/N with 1 ≤ K ≤ N, e.g. 2/8 for the second of eight.`,
    );
  return { index, count };
}

/**
 * The shard a batch engine's index names: AWS Batch array jobs' AWS_BATCH_JOB_ARRAY_INDEX and
 * Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX count from 0; `count` comes from --shards.
 * Undefined when neither is set.
 * @throws RetrieveError BadInput for an index that is not one, or past `count`
 */
export function shardFromEnvironment(
  env: Record<string, string | undefined>,
  count: number | undefined,
): Shard | undefined {
  const name = ['AWS_BATCH_JOB_ARRAY_INDEX', 'JOB_COMPLETION_INDEX'].find(
    (n) => env[n] !== undefined && env[n] !== '',
  );
  if (!name) return undefined;
  const raw = env[name]!;
  if (count === undefined)
    throw new RetrieveError(
      'BadInput',
      `${name} is set (${raw}): say how many shards the job has with --shards N (the array size, or the Job's completions).`,
    );
  const index = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || index >= count)
    throw new RetrieveError(
      'BadInput',
      `${name}=${raw} is not a shard index below --shards ${count} (it counts from 0).`,
    );
  return { index: index + 1, count };
}
