/**
 * The job's sources on the command line: the -i files, read as the app reads dropped ones (for a
 * shard, only the documents its part needs), and a datastore's image sets (--datastore: found
 * with SearchImageSets, or named with --image-set), each one's metadata document its manifest,
 * fetched as the app fetches a cohort's. And --save-manifests, which writes those documents down
 * for later runs (a batch job's shards) to take with -i: one search of a datastore that may
 * change, however many shards read it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RetrieveError } from '../src/core/errors';
import type { JobSource } from '../src/core/job';
import { buildPlan } from '../src/core/manifest';
import { frameCount, toAhiRetrieveManifest } from '../src/core/manifestParts';
import { shardCut, type Shard, type ShardCut } from '../src/core/shard';
import type { AhiClient } from '../src/io/ahiClient';
import { readManifestFiles } from '../src/io/files';
import { eachMetadataDocument, metadataName } from '../src/io/metadata';
import { ImageSetSearch } from '../src/io/search';
import { gatherSources } from '../src/io/sources';
import type { DatastoreSource, RunOptions } from './args';
import { DiskFolder } from './diskFolder';
import { writesInPlace } from './mounts';
import type { ProgressReporter } from './progress';

/** The -i paths as files: a folder means its .json and .json.gz files, as the runner writes them. */
async function inputFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory())
        out.push(
          ...(await readdir(path))
            .filter((n) => /\.json(\.gz)?$/i.test(n))
            .sort()
            .map((n) => join(path, n)),
        );
      else out.push(path);
    } catch (e) {
      throw unreadable(path, e);
    }
  }
  return out;
}

const unreadable = (path: string, e: unknown) =>
  new RetrieveError(
    'BadInput',
    `Cannot read the manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
  );

/** One file's documents, read as the app reads dropped ones (JSON, gzip, zips of them). */
async function documentsOf(path: string): Promise<{ name: string; content: string }[]> {
  try {
    return await readManifestFiles(new File([await readFile(path)], basename(path)));
  } catch (e) {
    throw unreadable(path, e);
  }
}

/**
 * A shard's documents among the -i files: each one read to count its image set's frames (and let
 * go), the shard's image sets chosen from the counts alone (core/shard.ts), and only their
 * documents read again. A shard of a whole datastore then holds, and fetches metadata for, its own
 * part, not everyone's. Undefined when the documents are not one image set each (or one does not
 * plan): the whole job is planned and cut instead, as without shards.
 */
async function shardDocuments(
  files: string[],
  shard: Shard,
  say: ProgressReporter,
): Promise<{ files: { name: string; content: string }[]; cut: ShardCut } | undefined> {
  const docs: { path: string; name: string; imageSetId: string }[] = [];
  const counts = new Map<string, number>();
  for (const [i, path] of files.entries()) {
    say.step(`reading manifests: ${i + 1} of ${files.length} files`, {
      step: 'manifests',
      files: i + 1,
      total: files.length,
    });
    for (const doc of await documentsOf(path)) {
      let sets;
      try {
        sets = buildPlan([doc]).imageSets;
      } catch {
        return undefined;
      }
      const set = sets[0];
      if (sets.length !== 1 || !set || counts.has(set.imageSetId)) return undefined;
      counts.set(set.imageSetId, set.frames);
      docs.push({ path, name: doc.name, imageSetId: set.imageSetId });
    }
  }
  const cut = shardCut(
    [...counts].map(([imageSetId, frames]) => ({ imageSetId, frames })),
    shard,
  );
  const wanted = new Map<string, Set<string>>();
  for (const d of docs)
    if (cut.firstPosition.has(d.imageSetId))
      wanted.set(d.path, (wanted.get(d.path) ?? new Set()).add(d.name));
  const mine: { name: string; content: string }[] = [];
  for (const [path, names] of wanted)
    mine.push(...(await documentsOf(path)).filter((d) => names.has(d.name)));
  return { files: mine, cut };
}

/** Every image set the search finds, page by page (50 a page, within the search quota). */
async function searchDatastore(
  client: AhiClient,
  source: DatastoreSource,
  say: ProgressReporter,
): Promise<string[]> {
  // Oldest first: image sets imported while the search pages on come last, not between pages.
  const search = new ImageSetSearch(
    client,
    {
      datastoreId: source.datastoreId,
      filters: source.filters,
      sortField: 'createdAt',
      sortOrder: 'ASC',
      pageSize: 50,
    },
    (message, delayMs) =>
      say.step(`searching: ${message}, again in ${(delayMs / 1000).toFixed(1)} s`, {
        step: 'search',
        retry: message,
      }),
  );
  const found = new Set<string>();
  while (!search.done) {
    for (const row of await search.next()) found.add(row.imageSetId);
    say.step(
      `searching ${source.datastoreId}: ${found.size} image sets`,
      { step: 'search', pages: search.pagesRead, imageSets: found.size },
      search.done,
    );
  }
  if (found.size === 0)
    throw new RetrieveError(
      'NotFound',
      source.filters.length
        ? `No image set in datastore ${source.datastoreId} matches the filters: nothing to fetch.`
        : `Datastore ${source.datastoreId} holds no image sets: nothing to fetch.`,
    );
  return [...found];
}

/** Metadata documents coming in, as a preparing step (its last line always said). */
const metadataStep =
  (say: ProgressReporter, what: string) =>
  (done: number, total: number): void =>
    say.step(
      `metadata: ${done} of ${total} image sets${what}`,
      { step: 'metadata', imageSets: done, total },
      done === total,
    );

/**
 * The job's documents: the -i files' and the datastore's image sets' metadata; for a shard of -i
 * files, only the documents its part needs, with the cut that chose them (see shardDocuments).
 */
export async function runnerSources(
  options: RunOptions,
  client: AhiClient,
  say: ProgressReporter,
): Promise<{ sources: JobSource[]; cut?: ShardCut }> {
  const paths = options.inputs.length ? await inputFiles(options.inputs) : [];
  const shard =
    options.shard.count > 1 && !options.datastore
      ? await shardDocuments(paths, options.shard, say)
      : undefined;
  const files = shard ? shard.files : (await Promise.all(paths.map(documentsOf))).flat();
  const fromFiles = files.length
    ? await gatherSources({ kind: 'manifest', files, text: '' }, client)
    : [];
  const ds = options.datastore;
  if (!ds) return { sources: fromFiles, ...(shard ? { cut: shard.cut } : {}) };
  const ids = ds.imageSets.length ? ds.imageSets : await searchDatastore(client, ds, say);
  const documents = await gatherSources(
    {
      kind: 'cohort',
      datastoreId: ds.datastoreId,
      imageSets: ids.map((imageSetId) => ({ imageSetId })),
    },
    client,
    metadataStep(say, ''),
  );
  return { sources: [...fromFiles, ...documents] };
}

/**
 * --save-manifests: the datastore's image sets (searched, or named), each one's metadata document
 * written as `<ImageSetID>-metadata.json.gz` in `dir` as it comes in (renamed into place; none
 * held beside the others, so a datastore of any size fits), and how many image sets and frames
 * the folder holds.
 */
export async function saveManifests(
  options: RunOptions,
  client: AhiClient,
  say: ProgressReporter,
): Promise<void> {
  const ds = options.datastore!;
  const ids = ds.imageSets.length ? ds.imageSets : await searchDatastore(client, ds, say);
  const dir = options.saveManifests!;
  const folder = new DiskFolder(dir, await writesInPlace(options.mountpoint, dir));
  let frames = 0;
  await eachMetadataDocument(
    client,
    ids.map((imageSetId) => ({ datastoreId: ds.datastoreId, imageSetId })),
    async (i, content) => {
      const name = metadataName(ids[i]!);
      frames += frameCount(toAhiRetrieveManifest(JSON.parse(content) as unknown, name));
      await folder.write(`${name}.gz`, gzipSync(content));
    },
    metadataStep(say, ' written'),
  );
  say.saved({ imageSets: ids.length, frames, manifests: folder.dir });
}
