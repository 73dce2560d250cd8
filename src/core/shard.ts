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
  const position = new Array<number>(items.length);
  order.forEach(({ i }, at) => (position[i] = at));
  return partsAt(items, position, items.length, count, imageSetOf, groupOf);
}

/**
 * The cut itself: the part of each item from its position in the whole job's order (`total`
 * frames); a group goes whole to the part of its first frame. A group lies within one image set,
 * whose items' positions rise in their given order, so items are taken in that order.
 */
function partsAt<T>(
  items: readonly T[],
  position: readonly number[],
  total: number,
  count: number,
  imageSetOf: (item: T) => string,
  groupOf?: (item: T) => string,
): number[] {
  const parts = new Array<number>(items.length);
  const groupPart = new Map<string, number>();
  for (const [i, item] of items.entries()) {
    const group = groupOf ? `${imageSetOf(item)}\u0000${groupOf(item)}` : undefined;
    let part = group === undefined ? undefined : groupPart.get(group);
    if (part === undefined) {
      part = Math.min(count - 1, Math.floor((position[i]! * count) / total));
      if (group !== undefined) groupPart.set(group, part);
    }
    parts[i] = part;
  }
  return parts;
}

/**
 * Where a shard's frames can come from, known from each image set's frame count alone: a shard of
 * a job of millions of frames then reads and plans only those image sets, not the whole job.
 * Image sets are in the job's order (by ID, each one's frames in their document order); a shard's
 * frames are those whose position falls in its range, and the frames of a group begun there (a
 * group lies within one image set).
 */
export interface ShardCut {
  /** frames in the whole job */
  total: number;
  /** the position of each chosen image set's first frame in the whole job's order */
  firstPosition: Map<string, number>;
}

export function shardCut(
  counts: readonly { imageSetId: string; frames: number }[],
  shard: Shard,
): ShardCut {
  const sorted = [...counts].sort((a, b) =>
    a.imageSetId < b.imageSetId ? -1 : a.imageSetId > b.imageSetId ? 1 : 0,
  );
  const total = sorted.reduce((n, c) => n + c.frames, 0);
  // Positions p with floor(p·N/total) = K−1: from ceil((K−1)·total/N) to ceil(K·total/N) − 1
  // (the last part takes the rest).
  const from = Math.ceil(((shard.index - 1) * total) / shard.count);
  const to = shard.index === shard.count ? total : Math.ceil((shard.index * total) / shard.count);
  const firstPosition = new Map<string, number>();
  let at = 0;
  for (const c of sorted) {
    if (at < to && at + c.frames > from) firstPosition.set(c.imageSetId, at);
    at += c.frames;
  }
  return { total, firstPosition };
}

/**
 * The items of one shard from a job's chosen image sets (`cut`), as shardOf would choose them
 * from the whole job's items. Items of image sets the cut did not choose are not the shard's.
 */
export function shardOfCut<T>(
  items: readonly T[],
  shard: Shard,
  cut: ShardCut,
  imageSetOf: (item: T) => string,
  groupOf?: (item: T) => string,
): T[] {
  const seen = new Map<string, number>();
  const position = items.map((item) => {
    const set = imageSetOf(item);
    const first = cut.firstPosition.get(set);
    if (first === undefined) return -1;
    const n = seen.get(set) ?? 0;
    seen.set(set, n + 1);
    return first + n;
  });
  const chosen = items.map((_, i) => i).filter((i) => position[i]! >= 0);
  const parts = partsAt(
    chosen.map((i) => items[i]!),
    chosen.map((i) => position[i]!),
    cut.total,
    shard.count,
    imageSetOf,
    groupOf,
  );
  return chosen.filter((_, j) => parts[j] === shard.index - 1).map((i) => items[i]!);
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
