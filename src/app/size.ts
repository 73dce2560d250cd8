/**
 * Before Start: the size of the job form's source (frames, and bytes from FrameSizeInBytes, per
 * image set and series), worked out in the spare plan worker, which keeps the documents for the
 * Start that follows; the browser's storage estimate beside it, and the store's probe for room.
 */
import { proxy } from 'comlink';
import { toErrorInfo } from '../core/errors';
import type { SurveyOutcome, SurveyRequest } from '../core/protocol';
import { storageRoom } from '../pool/libraryWorker';
import { inSparePlanWorker } from '../pool/planWorker';
import { appStore, updateSize } from '../state/store';
import { connection, sourceRequest } from './form';
import { refreshStorage } from './storage';

/** The survey request for the form's source, and its key. */
export async function surveyRequest(): Promise<{ req: SurveyRequest; key: string }> {
  const source = sourceRequest(appStore.getState().settings);
  if (source.kind === 'manifest') {
    // Files in hand: no request, so no credentials needed to know their size.
    const none = { accessKeyId: '', secretAccessKey: '' };
    return {
      req: { source, settings: { endpoint: '', region: '' }, credentials: none },
      key: JSON.stringify(source),
    };
  }
  const c = await connection();
  return {
    req: {
      source,
      settings: { endpoint: c.endpoint, region: c.region },
      credentials: c.credentials.credentials,
    },
    key: JSON.stringify([c.endpoint, c.region, source]),
  };
}

/** Checks the size of the form's source (fetching its metadata if it must). */
export async function checkSize(): Promise<void> {
  updateSize({
    phase: 'checking',
    done: 0,
    total: 0,
    size: undefined,
    room: undefined,
    message: undefined,
  });
  void refreshStorage();
  try {
    const { req, key } = await surveyRequest();
    updateSize({ key });
    const outcome = await inSparePlanWorker<SurveyOutcome>((api) =>
      api.survey(
        req,
        proxy((done: number, total: number) => {
          if (appStore.getState().size.key === key) updateSize({ done, total });
        }),
      ),
    );
    if (appStore.getState().size.key !== key) return;
    if (!outcome.ok) {
      updateSize({ phase: 'failed', message: outcome.error.message });
      return;
    }
    const room = await storageRoom(outcome.size.bytes).catch(() => undefined);
    if (appStore.getState().size.key !== key) return;
    updateSize({ phase: 'done', size: outcome.size, room });
  } catch (e) {
    updateSize({ phase: 'failed', message: toErrorInfo(e).message });
  }
}

/** Forgets a size that no longer matches the form (its source changed). */
export function sourceChanged(): void {
  updateSize({
    phase: 'idle',
    key: undefined,
    size: undefined,
    done: 0,
    total: 0,
    message: undefined,
  });
}
