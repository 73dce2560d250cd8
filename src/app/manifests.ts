/**
 * Save manifest: the job form's source as ahi-retrieve manifests (one per image set), whole or split
 * into N parts as the runner's --shard splits a job (core/shard.ts), downloaded as one JSON file (a
 * single image set, whole) or a zip of `part-K-of-N/<ImageSetID>.json`.
 */
import { toErrorInfo } from '../core/errors';
import type { ManifestsOutcome } from '../core/protocol';
import { zipStream } from '../io/zip';
import { inSparePlanWorker } from '../pool/planWorker';
import { updateSize } from '../state/store';
import { download } from './exports';
import { surveyRequest } from './size';

export async function saveManifest(parts: number, name = 'selection'): Promise<void> {
  try {
    const { req } = await surveyRequest();
    const outcome = await inSparePlanWorker<ManifestsOutcome>((api) =>
      api.manifests(req, Math.max(1, Math.floor(parts))),
    );
    if (!outcome.ok) throw new Error(outcome.error.message);
    const files = outcome.files;
    if (files.length === 1 && parts <= 1) {
      download(new Blob([files[0]!.content], { type: 'application/json' }), files[0]!.name);
      return;
    }
    const blob = await new Response(
      zipStream(files.map((f) => ({ name: f.name, data: f.content }))),
    ).blob();
    download(blob, `${name}-manifests${parts > 1 ? `-${parts}-parts` : ''}.zip`);
  } catch (e) {
    updateSize({ message: `Save manifest: ${toErrorInfo(e).message}` });
  }
}
