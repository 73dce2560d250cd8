/**
 * The job's sources on the command line: the -i files, read as the app reads dropped ones, and a
 * datastore's image sets (--datastore: found with SearchImageSets, or named with --image-set),
 * each one's metadata document its manifest, fetched as the app fetches a cohort's. And
 * --save-manifests, which writes those documents down for later runs (a batch job's shards) to
 * take with -i: one search of a datastore that may change, however many shards read it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RetrieveError } from '../src/core/errors';
import type { JobSource } from '../src/core/job';
import { frameCount, toAhiRetrieveManifest } from '../src/core/manifestParts';
import type { AhiClient } from '../src/io/ahiClient';
import { readManifestFiles } from '../src/io/files';
import { ImageSetSearch } from '../src/io/search';
import { gatherSources } from '../src/io/sources';
import type { DatastoreSource, RunOptions } from './args';
import { DiskFolder } from './diskFolder';
import type { ProgressReporter } from './progress';

/**
 * Reads the -i files as the app reads dropped ones (JSON, gzip, zips of them); a folder means its
 * .json and .json.gz files, as a failed-frames folder and --save-manifests write them.
 */
async function readInputs(paths: string[]): Promise<{ name: string; content: string }[]> {
  const files: { name: string; content: string }[] = [];
  for (const path of paths) {
    let names = [path];
    try {
      if ((await stat(path)).isDirectory())
        names = (await readdir(path))
          .filter((n) => /\.json(\.gz)?$/i.test(n))
          .sort()
          .map((n) => join(path, n));
      for (const name of names)
        files.push(...(await readManifestFiles(new File([await readFile(name)], basename(name)))));
    } catch (e) {
      throw new RetrieveError(
        'BadInput',
        `Cannot read the manifest ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
      );
    }
  }
  return files;
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
    say.step(`searching ${source.datastoreId}: ${found.size} image sets`, {
      step: 'search',
      pages: search.pagesRead,
      imageSets: found.size,
    });
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

/** The job's documents: the -i files' and the datastore's image sets' metadata. */
export async function runnerSources(
  options: RunOptions,
  client: AhiClient,
  say: ProgressReporter,
): Promise<JobSource[]> {
  const files = options.inputs.length ? await readInputs(options.inputs) : [];
  const fromFiles = files.length
    ? await gatherSources({ kind: 'manifest', files, text: '' }, client)
    : [];
  const ds = options.datastore;
  if (!ds) return fromFiles;
  const ids = ds.imageSets.length ? ds.imageSets : await searchDatastore(client, ds, say);
  const documents = await gatherSources(
    {
      kind: 'cohort',
      datastoreId: ds.datastoreId,
      imageSets: ids.map((imageSetId) => ({ imageSetId })),
    },
    client,
    (done, total) =>
      say.step(`metadata: ${done} of ${total} image sets`, {
        step: 'metadata',
        imageSets: done,
        total,
      }),
  );
  return [...fromFiles, ...documents];
}

/**
 * Writes each document as `<ImageSetID>-metadata.json.gz` in `dir` (a file at a time, renamed
 * into place) and says how many image sets and frames the folder holds.
 */
export async function saveManifests(
  dir: string,
  sources: JobSource[],
  say: ProgressReporter,
): Promise<void> {
  const folder = new DiskFolder(dir);
  let frames = 0;
  for (const s of sources) {
    frames += frameCount(toAhiRetrieveManifest(JSON.parse(s.content) as unknown, s.name));
    await folder.write(`${s.name}.gz`, gzipSync(s.content));
  }
  say.saved({ imageSets: sources.length, frames, manifests: folder.dir });
}
