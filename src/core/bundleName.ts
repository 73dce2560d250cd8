/**
 * The name of an export bundle, from its job's name: the download, the suggested file in a save
 * dialog and the zip inside the worker all use this one.
 */

/** A file-system-safe base name for a job's bundle (its manifest name without `.json[.gz]`). */
export function bundleBaseName(jobName: string): string {
  return jobName.replace(/\.json(\.gz)?$/i, '').replace(/[^\w.-]+/g, '-') || 'ahi-frames';
}

/** The bundle's name, saying when it holds only part of the job. */
export function bundleName(jobName: string, frames: number, total: number): string {
  const base = bundleBaseName(jobName);
  return frames < total ? `${base}-partial-${frames}-of-${total}` : base;
}
